#include "train/reconstruct.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "core/error.hpp"
#include "io/picture.hpp"
#include "methods/registry.hpp"
#include "nn/engine.hpp"
#include "batches/image_batches.hpp"
#include "train/trained_model.hpp"

namespace sslkit::train {

ReconstructionSamples reconstruction_samples(const io::DataReader& in, int count, int64_t patch, double ratio,
                                             uint64_t seed) {
  if (!in.has("/images")) throw Error(in.name(), "has no /images to reconstruct");
  if (in.size() == 0) throw Error(in.name(), "holds no images");
  if (count < 1) throw UsageError("reconstructions need at least one sample");
  ReconstructionSamples s;
  const auto info = in.info("/images");
  s.h = static_cast<int64_t>(info.shape[1]);
  s.w = static_cast<int64_t>(info.shape[2]);
  s.c = static_cast<int64_t>(info.shape[3]);
  if (patch < 1 || s.h % patch || s.w % patch)
    throw UsageError(in.name() + ": " + std::to_string(s.h) + "x" + std::to_string(s.w) + " images do not split into " +
                     std::to_string(patch) + "-pixel patches");
  const size_t N = in.size(), n = std::min<size_t>(count, N);
  for (size_t i = 0; i < n; ++i) s.rows.push_back(i * N / n);  // spread over the file, sorted
  const int L = static_cast<int>((s.h / patch) * (s.w / patch));
  s.pixels.resize(n * s.h * s.w * s.c);
  in.read_at<uint8_t>("/images", s.rows, s.pixels.data());
  const std::vector<int64_t> ids = in.ids_at(s.rows);
  for (size_t i = 0; i < n; ++i) {
    const std::vector<uint8_t> m = batches::patch_mask_of(seed, ids[i], 0, L, ratio);
    s.mask.insert(s.mask.end(), m.begin(), m.end());
  }
  return s;
}

void write_reconstructions(methods::Method& m, const ReconstructionSamples& s, const data::PixelNorm& norm, nn::DType dt,
                           const std::string& png, io::Commit when) {
  const int64_t n = static_cast<int64_t>(s.rows.size()), H = s.h, W = s.w, C = s.c, px = H * W * C;
  const int64_t p = m.patch_size();
  if (p < 1) throw UsageError("this model does not reconstruct images (a masked image model, mae, does)");
  const bool was_training = m.training();
  m.set_training(false);
  const nn::Tensor x = normalize_images(s.pixels.data(), n, H, W, C, norm);
  nn::Tensor rec;
  try {
    rec = m.reconstruct(x.to(dt), s.mask);
  } catch (...) {
    m.set_training(was_training);
    throw;
  }
  m.set_training(was_training);
  const int type = C == 1 ? CV_8UC1 : CV_8UC3;
  const int64_t gw = W / p, L = (H / p) * gw;
  std::vector<std::vector<cv::Mat>> rows;
  for (int64_t i = 0; i < n; ++i) {
    cv::Mat orig(static_cast<int>(H), static_cast<int>(W), type, const_cast<uint8_t*>(s.pixels.data() + i * px));
    cv::Mat masked = orig.clone(), recon(orig.size(), type), pasted = orig.clone();
    for (int64_t k = 0; k < px; ++k) {
      const float v = (rec.f32()[i * px + k] * norm.std_of(k % C) + norm.mean_of(k % C)) * 255.0f;
      recon.data[k] = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
    }
    for (int64_t l = 0; l < L; ++l) {
      if (!s.mask[i * L + l]) continue;
      const cv::Rect r(static_cast<int>((l % gw) * p), static_cast<int>((l / gw) * p), static_cast<int>(p),
                       static_cast<int>(p));
      masked(r).setTo(cv::Scalar::all(128));
      recon(r).copyTo(pasted(r));
    }
    rows.push_back({orig.clone(), masked, recon, pasted});
  }
  io::save_png(io::tile_rows(rows, 112, {"original", "masked", "reconstruction", "+ visible"}), png, when);
}

void reconstruct_file(const std::string& model, const std::string& images, int count, uint64_t seed,
                      const std::string& png) {
  nn::init_engine();
  TrainedModel t = load_trained_model(model);
  const double ratio = methods::method_info(t.method_name).mask_ratio;
  if (ratio <= 0 || t.method->patch_size() < 1)
    throw UsageError(model + " is a " + t.method_name + " model; --reconstruct needs a masked image model (mae)");
  io::DataReader in(images);
  check_image_input(in, t.in_channels);
  const ReconstructionSamples s = reconstruction_samples(in, count, t.method->patch_size(), ratio, seed);
  write_reconstructions(*t.method, s, t.norm, nn::resolve_precision("auto"), png);
}

}  // namespace sslkit::train
