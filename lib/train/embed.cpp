#include "train/embed.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "data/finite_clips.hpp"
#include "io/data_file.hpp"
#include "io/files.hpp"
#include "io/model_file.hpp"
#include "methods/method.hpp"
#include "models/vit.hpp"
#include "models/w2v.hpp"
#include "nn/engine.hpp"
#include "train/checkpoint.hpp"
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

// Sentence embeddings of every row of a text file, in batches.
void embed_text(methods::Method& m, const io::DataReader& in, bool cls, bool normalize, int batch,
                       const std::function<void(const nn::Tensor&, int64_t, int64_t)>& fn) {
  const int64_t N = in.size(), L = static_cast<int64_t>(in.info("/tokens").shape[1]);
  for (int64_t s = 0; s < N; s += batch) {
    const int64_t n = std::min<int64_t>(batch, N - s);
    methods::TokenBatch t;
    t.rows = n;
    t.length = L;
    t.ids.resize(n * L);
    t.lengths.resize(n);
    in.read<int32_t>("/tokens", s, n, t.ids.data());
    in.read<int32_t>("/lengths", s, n, t.lengths.data());
    nn::Tensor e;
    {
      nn::NoGrad ng;
      nn::Var f = m.sentence(t, cls);
      if (normalize) f = nn::l2_normalize(f);
      e = f.value().to(nn::DType::f32);
    }
    fn(e, s, n);
  }
}

}  // namespace

void embed_audio(methods::Method& m, const io::DataReader& in, bool frames, bool normalize, nn::DType dt, int batch,
                 const std::function<void(const nn::Tensor&, int64_t, int64_t)>& fn, int64_t* frames_per_clip,
                 std::vector<int32_t>* valid_frames) {
  auto* w2v = dynamic_cast<models::W2VEncoder*>(&m.encoder());
  SSLKIT_CHECK(w2v, "an audio model without an audio encoder");
  const int64_t N = in.size(), T = static_cast<int64_t>(in.info("/audio").shape[1]);
  const int64_t F = models::w2v_frames(w2v->shape(), T);
  if (F < 1) throw Error(in.name(), "clips of " + std::to_string(T) + " samples are shorter than one frame");
  if (frames_per_clip) *frames_per_clip = frames ? F : 0;
  for (int64_t s = 0; s < N; s += batch) {
    const int64_t n = std::min<int64_t>(batch, N - s);
    nn::Tensor w({n, T}, nn::DType::f32);
    std::vector<int32_t> lengths(n);
    in.read<float>("/audio", s, n, w.f32());
    data::require_finite_clips(in.name(), w.f32(), static_cast<size_t>(n), static_cast<size_t>(T), static_cast<size_t>(s));
    in.read<int32_t>("/lengths", s, n, lengths.data());
    nn::Tensor e;
    {
      nn::NoGrad ng;
      std::vector<int32_t> valid;
      nn::Var f = frames ? w2v->frames(w, lengths, dt, &valid) : w2v->embed(w, lengths, dt);
      if (normalize) f = nn::l2_normalize(f);
      e = f.value().to(nn::DType::f32);
      if (frames) {
        e = e.reshape({n, e.numel() / n});
        if (valid_frames) valid_frames->insert(valid_frames->end(), valid.begin(), valid.end());
      }
    }
    fn(e, s, n);
  }
}

void embed_batches(methods::Method& m, float mean, float stdev, const io::DataReader& in, const std::string& layer,
                   bool normalize, nn::DType dt, int batch,
                   const std::function<void(const nn::Tensor&, int64_t, int64_t)>& fn) {
  auto info = in.info("/images");
  const int64_t N = in.size(), H = info.shape[1], W = info.shape[2], C = info.shape[3];
  std::vector<uint8_t> buf;
  for (int64_t s = 0; s < N; s += batch) {
    const int64_t n = std::min<int64_t>(batch, N - s);
    buf.resize(n * H * W * C);
    in.read<uint8_t>("/images", s, n, buf.data());
    nn::Tensor x = normalize_images(buf.data(), n, H, W, C, mean, stdev), e;
    {
      nn::NoGrad ng;
      nn::Var f = m.encoder().forward(nn::Var(x.to(dt)));
      if (layer == "projector") f = m.project(f);
      if (normalize) f = nn::l2_normalize(f);
      e = f.value().to(nn::DType::f32);
    }
    fn(e, s, n);
  }
}

eval::Features embed_features(TrainedModel& t, const std::string& model, const io::DataReader& in,
                              const std::string& precision, const std::string& pool) {
  nn::init_engine();
  check_model_input(t, model, in);
  const bool text = t.modality == io::Modality::text, audio = t.modality == io::Modality::audio;
  if (audio && !pool.empty() && pool != "mean") throw UsageError("audio models pool by the mean over frames; --pool " + pool);
  if (t.modality == io::Modality::image && !pool.empty()) models::set_vit_pool(t.method->encoder(), pool, model);
  eval::Features f;
  f.n = in.size();
  f.y = in.labels();
  f.class_names = in.class_names();
  Progress progress("embed " + in.name(), f.n, text ? "sequences" : audio ? "clips" : "images");
  auto keep = [&](const nn::Tensor& e, int64_t s, int64_t n) {
    f.d = e.dim(1);
    if (f.x.empty()) f.x.resize(f.n * f.d);
    std::copy(e.f32(), e.f32() + n * f.d, f.x.begin() + s * f.d);
    progress.advance(n);
  };
  if (text) embed_text(*t.method, in, /*cls=*/pool == "cls", false, 64, keep);
  else if (audio) embed_audio(*t.method, in, false, false, nn::resolve_precision(precision), 64, keep);
  else embed_batches(*t.method, t.mean, t.stdev, in, "backbone", false, nn::resolve_precision(precision), 512, keep);
  progress.finish();
  eval::check_finite(f, model);
  return f;
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
  const bool text = t.modality == io::Modality::text, audio = t.modality == io::Modality::audio;
  if (o.layer != "backbone" && t.modality != io::Modality::image)
    throw UsageError("--layer projector goes with image models; " + o.model + " is " +
                     (text ? "a text model (it has --pool)" : "an audio model (it has --frames)"));
  if (o.frames && !audio) throw UsageError("--frames gives one embedding per audio frame; " + o.model + " is not an audio model");
  if (o.frames && o.format == "csv") throw UsageError("--frames writes [clips, frames, width]: --format h5 or npy");
  if (audio && !o.pool.empty() && o.pool != "mean")
    throw UsageError("audio models pool by the mean over frames (or give each with --frames); --pool " + o.pool);
  if (t.modality == io::Modality::image && !o.pool.empty()) models::set_vit_pool(t.method->encoder(), o.pool, o.model);
  // What the features pool over: recorded with the embeddings (convolutional encoders: nothing to choose).
  const auto* vit = t.modality == io::Modality::image ? dynamic_cast<const models::ViT*>(&t.method->encoder()) : nullptr;
  const std::string pool = text ? (o.pool.empty() ? "mean" : o.pool) : audio ? (o.frames ? "frames" : "mean")
                           : vit ? vit->pool() : "";
  const int64_t N = in.size();
  std::unique_ptr<io::DataWriter> h5;
  std::unique_ptr<NpyWriter> npy;
  std::unique_ptr<CheckedOutput> csv;
  Progress progress("embed", N, text ? "sequences" : audio ? "clips" : "images");
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
        io::set_attr_string(e_ds, "layer", text || audio ? "pool-" + pool : pool.empty() ? o.layer : o.layer + "-" + pool);
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
  if (text) embed_text(*t.method, in, pool == "cls", o.normalize, std::min(o.batch, 64), write);
  else if (audio) embed_audio(*t.method, in, o.frames, o.normalize, dt, std::min(o.batch, 64), write, &F, &valid);
  else embed_batches(*t.method, t.mean, t.stdev, in, o.layer, o.normalize, dt, o.batch, write);
  progress.finish();
  if (h5) h5->commit();
  if (npy) npy->commit();
  if (csv) csv->commit();
}

}  // namespace sslkit::train
