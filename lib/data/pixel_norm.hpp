// How uint8 pixels become what an image encoder takes: x / 255, then
// (x - mean) / std, with one mean and std for every channel (what
// ssl-pretrain measures on its file) or one per channel (an imported
// ViT's preprocessor_config.json: ImageNet's statistics, RGB order).
// /config keeps it under "normalize" as numbers or lists (docs/format.md).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace sslkit::data {

struct PixelNorm {
  std::vector<float> mean{0.0f}, stdev{1.0f};  // one value, or one per channel
  PixelNorm() = default;
  PixelNorm(float m, float s) : mean{m}, stdev{s} {}
  PixelNorm(std::vector<float> m, std::vector<float> s) : mean(std::move(m)), stdev(std::move(s)) {}
  float mean_of(int64_t c) const { return mean.size() == 1 ? mean[0] : mean[static_cast<size_t>(c)]; }
  float std_of(int64_t c) const { return stdev.size() == 1 ? stdev[0] : stdev[static_cast<size_t>(c)]; }
  bool per_channel() const { return mean.size() > 1 || stdev.size() > 1; }
  // "" when it fits images of `channels` channels, else why not.
  std::string problem(int64_t channels) const;
};

// {"mean": m, "std": s}: numbers for one value, lists per channel.
nlohmann::ordered_json to_json(const PixelNorm& n);
// Either form; an Error naming `file` for anything else.
PixelNorm pixel_norm_from_json(const nlohmann::ordered_json& j, const std::string& file);

}  // namespace sslkit::data
