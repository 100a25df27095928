#include "train/embed.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "io/data_file.hpp"
#include "io/model_file.hpp"
#include "methods/method.hpp"
#include "nn/engine.hpp"
#include "train/checkpoint.hpp"

namespace sslkit::train {

namespace {

// Writes rows to .npy (numpy's format 1.0: magic, header dict, raw little-endian float32).
class NpyWriter {
 public:
  NpyWriter(const std::string& path, int64_t n, int64_t d) : out_(path) {
    f_ = std::fopen(out_.temp_path().c_str(), "wb");
    if (!f_) throw Error(path, "cannot write");
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(n) + ", " +
                         std::to_string(d) + "), }";
    while ((10 + header.size() + 1) % 64) header += ' ';
    header += '\n';
    const uint16_t len = static_cast<uint16_t>(header.size());
    std::fwrite("\x93NUMPY\x01\x00", 1, 8, f_);
    std::fwrite(&len, 2, 1, f_);
    std::fwrite(header.data(), 1, header.size(), f_);
  }
  ~NpyWriter() {
    if (f_) std::fclose(f_);
  }
  void rows(const float* v, size_t count) { std::fwrite(v, 4, count, f_); }
  void commit() {
    if (std::fclose(f_) != 0) throw Error(out_.name(), "write failed");
    f_ = nullptr;
    out_.commit();
  }

 private:
  io::OutputFile out_;
  FILE* f_ = nullptr;
};

}  // namespace

void run_embed(const EmbedOptions& o) {
  if (o.layer != "backbone" && o.layer != "projector") throw UsageError("--layer must be backbone or projector");
  if (o.format != "h5" && o.format != "npy" && o.format != "csv") throw UsageError("--format must be h5, npy or csv");
  io::check_not_an_input(o.output, {o.model, o.input});
  nn::init_engine();
  const nn::DType dt = nn::resolve_precision(o.precision);
  auto config = nlohmann::json::parse(io::ModelReader(o.model).config());
  methods::MethodParams mp;
  mp.arch = config["arch"];
  mp.in_channels = config["in_channels"];
  Rng rng(0);
  auto method = methods::make_method(config["method"], mp, rng);
  load_checkpoint(o.model, *method);
  method->set_training(false);
  const float mean = config["normalize"]["mean"], stdev = config["normalize"]["std"];

  io::DataReader in(o.input);
  if (!in.has("/images")) throw Error(in.name(), "has no /images to embed");
  auto info = in.info("/images");
  if (static_cast<int64_t>(info.shape[3]) != mp.in_channels)
    throw Error(in.name(), "has " + std::to_string(info.shape[3]) + "-channel images, the model expects " +
                               std::to_string(mp.in_channels));
  const int64_t N = in.size(), H = info.shape[1], W = info.shape[2], C = info.shape[3], px = H * W * C;
  int64_t D = 0;
  std::unique_ptr<io::DataWriter> h5;
  std::unique_ptr<NpyWriter> npy;
  std::unique_ptr<io::OutputFile> csv_out;
  FILE* csv = nullptr;
  Progress progress("embed", N, "images");
  std::vector<uint8_t> buf;
  for (int64_t s = 0; s < N; s += o.batch) {
    const int64_t n = std::min<int64_t>(o.batch, N - s);
    buf.resize(n * px);
    in.read<uint8_t>("/images", s, n, buf.data());
    nn::Tensor x({n, H, W, C}, nn::DType::f32);
    for (int64_t i = 0; i < n * px; ++i) x.f32()[i] = (buf[i] / 255.0f - mean) / stdev;
    nn::Tensor e;
    {
      nn::NoGrad ng;
      nn::Var f = method->encoder().forward(nn::Var(x.to(dt)));
      if (o.layer == "projector") f = method->project(f);
      if (o.normalize) f = nn::l2_normalize(f);
      e = f.value().to(nn::DType::f32);
    }
    D = e.dim(1);
    std::vector<int32_t> labels(n, -1);
    std::vector<int64_t> ids(n);
    if (in.has("/labels")) in.read<int32_t>("/labels", s, n, labels.data());
    if (in.has("/ids")) in.read<int64_t>("/ids", s, n, ids.data());
    else
      for (int64_t i = 0; i < n; ++i) ids[i] = s + i;
    if (o.format == "h5") {
      if (!h5) {
        h5 = std::make_unique<io::DataWriter>(o.output, io::Modality::embedding);
        h5->create("/embeddings", io::DType::f32, {static_cast<hsize_t>(D)});
        h5->create("/labels", io::DType::i32, {});
        h5->create("/ids", io::DType::i64, {});
        auto e_ds = h5->dataset("/embeddings");
        io::set_attr_string(e_ds, "model", o.model);
        io::set_attr_string(e_ds, "layer", o.layer);
        io::set_attr_int(e_ds, "normalized", o.normalize ? 1 : 0);
        auto names = in.class_names();
        if (!names.empty()) io::set_attr_strings(h5->dataset("/labels"), "class_names", names);
        auto hist = in.history();
        hist.push_back(o.command_line);
        h5->set_history(hist);
      }
      h5->append("/embeddings", e.f32(), n);
      h5->append("/labels", labels);
      h5->append("/ids", ids);
    } else if (o.format == "npy") {
      if (!npy) npy = std::make_unique<NpyWriter>(o.output, N, D);
      npy->rows(e.f32(), n * D);
    } else {
      if (!csv) {
        csv_out = std::make_unique<io::OutputFile>(o.output);
        csv = std::fopen(csv_out->temp_path().c_str(), "w");
        if (!csv) throw Error(o.output, "cannot write");
        std::fprintf(csv, "id,label");
        for (int64_t d = 0; d < D; ++d) std::fprintf(csv, ",e%ld", static_cast<long>(d));
        std::fprintf(csv, "\n");
      }
      for (int64_t i = 0; i < n; ++i) {
        std::fprintf(csv, "%ld,%d", static_cast<long>(ids[i]), labels[i]);
        for (int64_t d = 0; d < D; ++d) std::fprintf(csv, ",%.7g", e.f32()[i * D + d]);
        std::fprintf(csv, "\n");
      }
    }
    progress.advance(n);
  }
  progress.finish();
  if (h5) h5->commit();
  if (npy) npy->commit();
  if (csv) {
    if (std::fclose(csv) != 0) throw Error(o.output, "write failed");
    csv_out->commit();
  }
}

}  // namespace sslkit::train
