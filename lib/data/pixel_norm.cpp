#include "data/pixel_norm.hpp"

#include "core/error.hpp"

namespace sslkit::data {

std::string PixelNorm::problem(int64_t channels) const {
  for (const auto* v : {&mean, &stdev})
    if (v->size() != 1 && static_cast<int64_t>(v->size()) != channels)
      return "normalize has " + std::to_string(v->size()) + " values for " + std::to_string(channels) + " channels";
  for (float s : stdev)
    if (!(s > 0)) return "normalize std must be positive";
  return "";
}

nlohmann::ordered_json to_json(const PixelNorm& n) {
  auto one = [](const std::vector<float>& v) {
    return v.size() == 1 ? nlohmann::ordered_json(v[0]) : nlohmann::ordered_json(v);
  };
  return {{"mean", one(n.mean)}, {"std", one(n.stdev)}};
}

PixelNorm pixel_norm_from_json(const nlohmann::ordered_json& j, const std::string& file) {
  auto values = [&](const char* key) {
    if (!j.is_object() || !j.contains(key)) throw Error(file, std::string("/config normalize has no ") + key);
    const auto& v = j[key];
    std::vector<float> out;
    if (v.is_number()) out.push_back(v.get<float>());
    else if (v.is_array() && !v.empty())
      for (const auto& x : v) {
        if (!x.is_number()) throw Error(file, std::string("/config normalize.") + key + " holds " + x.dump());
        out.push_back(x.get<float>());
      }
    else
      throw Error(file, std::string("/config normalize.") + key + " is neither a number nor a list: " + v.dump());
    return out;
  };
  PixelNorm n(values("mean"), values("std"));
  for (float s : n.stdev)
    if (!(s > 0)) throw Error(file, "/config normalize.std must be positive");
  return n;
}

}  // namespace sslkit::data
