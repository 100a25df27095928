#include "augment/audio_ops.hpp"

#include <cmath>
#include <map>

#include "core/error.hpp"

namespace sslkit::augment {

void apply_gain_db(std::vector<float>& w, double db) {
  const float g = static_cast<float>(std::pow(10.0, db / 20.0));
  for (auto& v : w) v *= g;
}

static double normal(Rng& rng) {
  double u1 = std::max(rng.uniform(), 1e-300), u2 = rng.uniform();
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
}

void add_noise_snr(std::vector<float>& w, int length, double snr_db, Rng& rng) {
  double power = 0;
  for (int i = 0; i < length; ++i) power += static_cast<double>(w[i]) * w[i];
  power = length > 0 ? power / length : 0;
  if (power <= 0) return;
  const double sd = std::sqrt(power / std::pow(10.0, snr_db / 10.0));
  for (int i = 0; i < length; ++i) w[i] += static_cast<float>(sd * normal(rng));
}

void time_shift(std::vector<float>& w, int shift) {
  const int n = static_cast<int>(w.size());
  std::vector<float> out(n, 0.f);
  for (int i = 0; i < n; ++i) {
    int j = i + shift;
    if (j >= 0 && j < n) out[j] = w[i];
  }
  w.swap(out);
}

void time_mask(std::vector<float>& w, int length, double max_fraction, int count, Rng& rng) {
  const int maxw = std::max(1, static_cast<int>(max_fraction * length));
  for (int c = 0; c < count && length > 0; ++c) {
    int width = static_cast<int>(rng.below(maxw + 1));
    int start = static_cast<int>(rng.below(std::max(1, length - width + 1)));
    for (int i = start; i < start + width && i < length; ++i) w[i] = 0.f;
  }
}

std::vector<float> random_crop(const std::vector<float>& w, int length, int out_len, Rng& rng, int* start_out) {
  std::vector<float> out(out_len, 0.f);
  int start = length > out_len ? static_cast<int>(rng.below(length - out_len + 1)) : 0;
  for (int i = 0; i < out_len && start + i < length; ++i) out[i] = w[start + i];
  if (start_out) *start_out = start;
  return out;
}

Recipe make_audio_recipe(const std::string& spec) {
  const std::string text = spec == "audio" ? "gain(-6,6,p=0.5) noise(10,40,p=0.5) shift(0.1,p=0.5) tmask(0.1,2,p=0.5)"
                                           : spec;
  Recipe r;
  r.name = spec == "audio" ? "audio" : "custom";
  std::vector<Op> ops;
  std::string token;
  int depth = 0;
  auto flush = [&] {
    if (token.empty()) return;
    std::string name = token.substr(0, token.find('('));
    static const std::map<std::string, std::pair<std::vector<double>, double>> specs = {
        {"gain", {{-6, 6}, 0.5}}, {"noise", {{10, 40}, 0.5}}, {"shift", {{0.1}, 0.5}},
        {"tmask", {{0.1, 2}, 0.5}}, {"crop", {{1.0}, 1.0}}};
    auto it = specs.find(name);
    if (it == specs.end())
      throw UsageError("audio recipe: unknown op '" + name + "' (known: crop, gain, noise, shift, tmask)");
    Op op{name, it->second.first, it->second.second};
    std::string inside = token.find('(') == std::string::npos ? "" : token.substr(token.find('(') + 1);
    if (!inside.empty() && inside.back() == ')') inside.pop_back();
    size_t k = 0, start = 0;
    while (start <= inside.size() && !inside.empty()) {
      size_t comma = inside.find(',', start);
      std::string a = inside.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      try {
        if (a.rfind("p=", 0) == 0) op.p = std::stod(a.substr(2));
        else if (k < op.args.size()) op.args[k++] = std::stod(a);
        else throw UsageError("audio recipe: " + name + ": too many numbers");
      } catch (const std::invalid_argument&) {
        throw UsageError("audio recipe: " + name + ": '" + a + "' is not a number");
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    ops.push_back(op);
    token.clear();
  };
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ' ' && depth == 0) flush();
    else token += c;
  }
  flush();
  if (ops.empty()) throw UsageError("audio recipe: empty");
  r.views = {ops};
  return r;
}

std::vector<float> make_audio_view(const Recipe& r, const std::vector<float>& w, int length, int view, int out_len,
                                   Rng& rng) {
  std::vector<float> x(w.begin(), w.begin() + std::min<size_t>(w.size(), length));
  int valid = static_cast<int>(x.size());
  for (const Op& op : r.views[view % r.views.size()]) {
    bool apply = rng.uniform() < op.p;
    if (!apply) continue;
    if (op.name == "crop") {
      x = random_crop(x, valid, out_len, rng);
      valid = std::min(valid, out_len);
    } else if (op.name == "gain") {
      apply_gain_db(x, rng.uniform(op.args[0], op.args[1]));
    } else if (op.name == "noise") {
      add_noise_snr(x, valid, rng.uniform(op.args[0], op.args[1]), rng);
    } else if (op.name == "shift") {
      int maxs = static_cast<int>(op.args[0] * valid);
      time_shift(x, static_cast<int>(rng.below(2 * maxs + 1)) - maxs);
    } else if (op.name == "tmask") {
      time_mask(x, valid, op.args[0], static_cast<int>(op.args[1]), rng);
    }
  }
  x.resize(out_len, 0.f);
  return x;
}

}  // namespace sslkit::augment
