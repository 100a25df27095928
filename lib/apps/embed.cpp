#include "apps/embed.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "io/data_file.hpp"
#include "io/files.hpp"
#include "io/model_file.hpp"
#include "nn/engine.hpp"
#include "train/modality.hpp"
#include "train/trained_model.hpp"

namespace sslkit::train {

namespace {

// A stdio stream on an output's temp file whose every write is checked. A
// failed write (a full disk, a file size limit) throws naming the output,
// which is then never committed: fclose reports only its own last flush, so
// an earlier write that failed with nothing left to flush at the end would
// otherwise commit a short file.
class CheckedOutput {
 public:
  explicit CheckedOutput(const std::string& path) : out_(path) {
    f_ = std::fopen(out_.temp_path().c_str(), "wb");
    if (!f_) throw Error(out_.name(), std::string("cannot write: ") + std::strerror(errno));
  }
  ~CheckedOutput() {
    if (f_) std::fclose(f_);
  }
  CheckedOutput(const CheckedOutput&) = delete;
  CheckedOutput& operator=(const CheckedOutput&) = delete;
  void write(const void* data, size_t size, size_t count) {
    if (std::fwrite(data, size, count, f_) != count) fail();
  }
  void print(const char* format, ...) __attribute__((format(printf, 2, 3))) {
    va_list args;
    va_start(args, format);
    const int n = std::vfprintf(f_, format, args);
    va_end(args);
    if (n < 0) fail();
  }
  void commit() {
    if (std::fflush(f_) != 0 || std::ferror(f_)) fail();
    FILE* f = f_;
    f_ = nullptr;
    if (std::fclose(f) != 0) fail();
    out_.commit();
  }

 private:
  [[noreturn]] void fail() {
    const std::string why = io::disk_error_text();
    throw Error(out_.name(), "write failed" + (why.empty() ? std::string() : ": " + why));
  }
  io::OutputFile out_;
  FILE* f_ = nullptr;
};

// Writes rows to .npy (numpy's format 1.0: magic, header dict, raw little-endian float32).
class NpyWriter {
 public:
  NpyWriter(const std::string& path, int64_t n, const std::vector<hsize_t>& row) : out_(path) {
    std::string shape = std::to_string(n);
    for (hsize_t d : row) shape += ", " + std::to_string(d);
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
    while ((10 + header.size() + 1) % 64) header += ' ';
    header += '\n';
    const uint16_t len = static_cast<uint16_t>(header.size());
    out_.write("\x93NUMPY\x01\x00", 1, 8);
    out_.write(&len, 2, 1);
    out_.write(header.data(), 1, header.size());
  }
  void rows(const float* v, size_t count) { out_.write(v, 4, count); }
  void commit() { out_.commit(); }

 private:
  CheckedOutput out_;
};

}  // namespace

eval::Features embed_features(TrainedModel& t, const std::string& model, const io::DataReader& in,
                              const std::string& precision, const std::string& pool) {
  nn::init_engine();
  check_model_input(t, model, in);
  const Modality& mod = modality_for(t.modality);
  FeatureSpec spec;
  spec.pool = pool;
  spec.dtype = nn::resolve_precision(precision);
  mod.prepare_features(*t.method, spec, model);
  eval::Features f;
  f.n = in.size();
  f.y = in.labels();
  f.class_names = in.class_names();
  Progress progress("embed " + in.name(), f.n, mod.unit());
  auto keep = [&](const nn::Tensor& e, int64_t s, int64_t n) {
    f.d = e.dim(1);
    if (f.x.empty()) f.x.resize(f.n * f.d);
    std::copy(e.f32(), e.f32() + n * f.d, f.x.begin() + s * f.d);
    progress.advance(n);
  };
  for_each_feature(mod, *t.method, in, {t.norm, spec.dtype}, spec, /*normalize=*/false, 512, keep);
  progress.finish();
  eval::check_finite(f, model);
  return f;
}

namespace {

using EmbedRow = OptionRule<EmbedOptions>;

const std::vector<EmbedRow>& embed_rows() {
  using Type = OptionSpec::Type;
  static const EmbedOptions d;
  static const std::vector<EmbedRow> rows = {
      {{.flag = "--layer", .type = Type::text, .fallback = d.layer, .help = "backbone or projector (image models)",
        .choices = {"backbone", "projector"}}},
      {{.flag = "--pool", .type = Type::text,
        .help = "text: mean over the real tokens [default] or cls (the first token); ViT: cls (the class token, mae's "
                "default) or mean of the patch tokens",
        .choices = {"mean", "cls"}}},
      {{.flag = "--normalize", .type = Type::flag, .help = "L2-normalise each embedding"}},
      {{.flag = "--frames", .type = Type::flag,
        .help = "audio: one embedding per 20 ms frame, [clips, frames, width] with /frames the real frames of each "
                "clip (default: the mean over the real frames)"},
       "writes [clips, frames, width]: --format h5 or npy",
       [](const EmbedOptions& o) { return o.format == "csv" ? std::string("--format is csv") : std::string(); }},
      {{.flag = "--format", .type = Type::text, .fallback = d.format,
        .help = "h5 (SSL-HDF5), npy (numpy.load) or csv (id, label, one column per dimension)",
        .choices = {"h5", "npy", "csv"}}},
      {{.flag = "--batch", .type = Type::integer, .fallback = d.batch, .help = "Samples per batch", .min = 1,
        .max = 65536}},
      {{.flag = "--precision", .type = Type::text, .fallback = d.precision, .help = "f32, bf16 or auto",
        .choices = {"f32", "bf16", "auto"}}},
  };
  return rows;
}

}  // namespace

std::vector<OptionSpec> embed_option_specs() { return specs_with_defaults(embed_rows()); }

EmbedOptions resolve_embed(const nlohmann::ordered_json& given) {
  EmbedOptions o;
  take_given(given, "--layer", o.layer);
  take_given(given, "--pool", o.pool);
  take_given(given, "--normalize", o.normalize);
  take_given(given, "--frames", o.frames);
  take_given(given, "--format", o.format);
  take_given(given, "--batch", o.batch);
  take_given(given, "--precision", o.precision);
  if (const std::string why = inapplicable(embed_rows(), given, o); !why.empty()) throw UsageError(why);
  return o;
}

void run_embed(const EmbedOptions& o) {
  if (o.layer != "backbone" && o.layer != "projector") throw UsageError("--layer must be backbone or projector");
  if (o.format != "h5" && o.format != "npy" && o.format != "csv") throw UsageError("--format must be h5, npy or csv");
  nn::init_engine();
  const nn::DType dt = nn::resolve_precision(o.precision);
  if (!o.pool.empty() && o.pool != "mean" && o.pool != "cls") throw UsageError("--pool must be mean or cls");
  TrainedModel t = load_trained_model(o.model);
  const std::string model_sha = io::sha256_file(o.model);
  io::DataReader in(o.input);
  check_model_input(t, o.model, in);
  const Modality& mod = modality_for(t.modality);
  FeatureSpec spec;
  spec.layer = o.layer;
  spec.pool = o.pool;
  spec.frames = o.frames;
  spec.dtype = dt;
  mod.prepare_features(*t.method, spec, o.model);
  // What the features are: recorded with the embeddings, so files embedded
  // apart are compared only when they agree.
  const std::string layer = mod.feature_name(*t.method, spec);
  const int64_t N = in.size();
  std::unique_ptr<io::DataWriter> h5;
  std::unique_ptr<NpyWriter> npy;
  std::unique_ptr<CheckedOutput> csv;
  Progress progress("embed", N, mod.unit());
  int64_t F = 0;  // audio --frames: frames per clip (each row is F x width)
  std::vector<int32_t> valid;
  auto write = [&](const nn::Tensor& e, int64_t s, int64_t n) {
    const int64_t D = e.dim(1);
    const std::vector<hsize_t> row = F > 0 ? std::vector<hsize_t>{static_cast<hsize_t>(F), static_cast<hsize_t>(D / F)}
                                           : std::vector<hsize_t>{static_cast<hsize_t>(D)};
    std::vector<int32_t> labels(n, -1);
    if (in.has("/labels")) in.read<int32_t>("/labels", s, n, labels.data());
    const std::vector<int64_t> ids = in.ids(s, n);
    if (o.format == "h5") {
      if (!h5) {
        h5 = std::make_unique<io::DataWriter>(o.output, io::Modality::embedding);
        h5->create("/embeddings", io::DType::f32, row);
        if (F > 0) h5->create("/frames", io::DType::i32, {});
        h5->create("/labels", io::DType::i32, {});
        h5->create("/ids", io::DType::i64, {});
        auto e_ds = h5->dataset("/embeddings");
        io::set_attr_string(e_ds, "model", o.model);
        io::set_attr_string(e_ds, "model_sha256", model_sha);
        io::set_attr_string(e_ds, "layer", layer);
        io::set_attr_int(e_ds, "normalized", o.normalize ? 1 : 0);
        auto names = in.class_names();
        if (!names.empty()) io::set_attr_strings(h5->dataset("/labels"), "class_names", names);
        auto hist = in.history();
        hist.push_back(o.command_line);
        h5->set_history(hist);
      }
      h5->append("/embeddings", e.f32(), n);
      if (F > 0) h5->append("/frames", std::vector<int32_t>(valid.begin() + s, valid.begin() + s + n));
      h5->append("/labels", labels);
      h5->append("/ids", ids);
    } else if (o.format == "npy") {
      if (!npy) npy = std::make_unique<NpyWriter>(o.output, N, row);
      npy->rows(e.f32(), n * D);
    } else {
      if (!csv) {
        csv = std::make_unique<CheckedOutput>(o.output);
        csv->print("id,label");
        for (int64_t d = 0; d < D; ++d) csv->print(",e%ld", static_cast<long>(d));
        csv->print("\n");
      }
      for (int64_t i = 0; i < n; ++i) {
        csv->print("%ld,%d", static_cast<long>(ids[i]), labels[i]);
        for (int64_t d = 0; d < D; ++d) csv->print(",%.7g", e.f32()[i * D + d]);
        csv->print("\n");
      }
    }
    progress.advance(n);
  };
  for_each_feature(mod, *t.method, in, {t.norm, dt}, spec, o.normalize, o.batch, write, &F, &valid);
  progress.finish();
  if (h5) h5->commit();
  if (npy) npy->commit();
  if (csv) csv->commit();
}

}  // namespace sslkit::train
