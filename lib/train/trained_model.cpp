#include "train/trained_model.hpp"

#include <algorithm>
#include <set>

#include "core/rng.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "io/model_file.hpp"
#include "methods/registry.hpp"
#include "train/checkpoint.hpp"
#include "train/modality.hpp"

namespace sslkit::train {

TrainedModel load_trained_model(const std::string& path) {
  TrainedModel t;
  t.config = io::ModelReader(path).config();
  nlohmann::ordered_json config;
  try {
    config = nlohmann::ordered_json::parse(t.config);
    t.method_name = config.at("method");
    t.arch = config.at("arch");
    t.in_channels = config.at("in_channels");
    t.sample_rate = config.value("sample_rate", int64_t{0});
    if (config.contains("normalize"))  // image models
      t.norm = data::pixel_norm_from_json(config.at("normalize"), path);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path, std::string("is not an sslkit model file (config: ") + e.what() + ")");
  }
  if (const std::string why = t.norm.problem(t.in_channels); !why.empty()) throw Error(path, "/config " + why);
  // What it encodes, before anything is built from it: an arch this
  // sslkit does not know is an error naming the file, not "text".
  t.modality = model_modality(config, path);
  const methods::MethodParams mp = methods::read_params(config, path);
  Rng rng(0);
  t.method = methods::make_method(t.method_name, mp, rng);
  t.max_len = mp.max_len;
  load_checkpoint(path, *t.method);
  t.method->set_training(false);
  t.tokenizer = io::ModelReader(path).bytes("tokenizer");  // text models keep theirs; the others have none
  return t;
}

void check_model_input(const TrainedModel& t, const std::string& model_path, const io::DataReader& in) {
  if (in.modality() != t.modality) {
    auto a = [](io::Modality m) {
      const std::string name = io::modality_name(m);
      return (std::string("aeiou").find(name[0]) != std::string::npos ? "an " : "a ") + name;
    };
    throw UsageError(in.name() + " is " + a(in.modality()) + " file; " + model_path + " is " + a(t.modality) +
                     " model (" + t.method_name + ")");
  }
  modality_for(t.modality).check_input(t, model_path, in);
}

std::pair<float, float> pixel_stats(const io::DataReader& in) {
  const std::string name = in.has("/images") ? "/images" : "/views";
  auto info = in.info(name);
  size_t row = 1;
  for (size_t i = 1; i < info.shape.size(); ++i) row *= info.shape[i];
  // A seeded sample over the whole file: the first rows of an unshuffled
  // import are one class, and their statistics are that class's.
  // Floyd's algorithm: n distinct rows in O(n) memory, whatever the file's size.
  const size_t N = in.size(), n = std::min<size_t>(N, 10000);
  std::set<size_t> chosen;
  Rng rng(0x5A3B1E);
  for (size_t j = N - n; j < N; ++j) {
    const size_t t = rng.below(j + 1);
    chosen.insert(chosen.count(t) ? j : t);
  }
  const std::vector<size_t> rows(chosen.begin(), chosen.end());
  std::vector<uint8_t> buf(row * n);
  in.read_at<uint8_t>(name, rows, buf.data());
  double s = 0, s2 = 0;
  for (uint8_t v : buf) {
    s += v / 255.0;
    s2 += (v / 255.0) * (v / 255.0);
  }
  double m = s / buf.size(), var = s2 / buf.size() - m * m;
  return {static_cast<float>(m), static_cast<float>(std::sqrt(std::max(var, 1e-6)))};
}

void check_image_input(const io::DataReader& in, int64_t in_channels) {
  if (!in.has("/images")) throw Error(in.name(), "has no /images (an image file from ssl-import is needed)");
  auto info = in.info("/images");
  if (static_cast<int64_t>(info.shape[3]) != in_channels)
    throw Error(in.name(), "has " + std::to_string(info.shape[3]) + "-channel images, the model expects " +
                               std::to_string(in_channels));
}

void check_imported_size(const nlohmann::ordered_json& config, const std::string& model_path, const io::DataReader& in) {
  if (!config.contains("imported") || !config.contains("input_shape") || !in.has("/images")) return;
  const auto shape = in.info("/images").shape;
  const int64_t h = config["input_shape"][0], w = config["input_shape"][1];
  if (static_cast<int64_t>(shape[1]) != h || static_cast<int64_t>(shape[2]) != w)
    throw Error(in.name(), "has " + std::to_string(shape[1]) + "x" + std::to_string(shape[2]) + " images; " +
                               model_path + " (imported) takes " + std::to_string(h) + "x" + std::to_string(w) +
                               ", its checkpoint's image_size (ssl-import images --size)");
}

nn::Tensor normalize_images(const uint8_t* px, int64_t n, int64_t h, int64_t w, int64_t c, const data::PixelNorm& norm) {
  nn::Tensor x({n, h, w, c}, nn::DType::f32);
  float* out = x.f32();
  std::vector<float> mean(c), stdev(c);
  for (int64_t k = 0; k < c; ++k) mean[k] = norm.mean_of(k), stdev[k] = norm.std_of(k);
  // x / 255 then (x - mean) / std per channel, as ViTImageProcessor.
  for (int64_t i = 0; i < n * h * w * c; ++i) out[i] = (px[i] / 255.0f - mean[i % c]) / stdev[i % c];
  return x;
}

}  // namespace sslkit::train
