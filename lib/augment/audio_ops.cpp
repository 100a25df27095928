#include "augment/audio_ops.hpp"

#include <cctype>
#include <cmath>
#include <map>
#include <sstream>

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

namespace {

// Each op's positional numbers (with defaults) and the ranges they must lie
// in, so a recipe can only ask for audio that stays finite and audible:
// +-60 dB of gain is a factor 1000 either way, an SNR of -30 dB noise 30
// times louder than the clip, 120 dB noise far below a float's precision.
struct AudioArg {
  const char* name;
  double fallback, lo, hi;
  bool whole = false;  // a count: a whole number
};
struct AudioOpSpec {
  std::vector<AudioArg> args;
  double p;
  bool ordered;  // args[0] <= args[1]: a range to draw from
};

const std::map<std::string, AudioOpSpec>& audio_op_specs() {
  static const std::map<std::string, AudioOpSpec> specs = {
      {"gain", {{{"lo_db", -6, -60, 60}, {"hi_db", 6, -60, 60}}, 0.5, true}},
      {"noise", {{{"lo_snr", 10, -30, 120}, {"hi_snr", 40, -30, 120}}, 0.5, true}},
      {"shift", {{{"max_fraction", 0.1, 0, 1}}, 0.5, false}},
      {"tmask", {{{"max_fraction", 0.1, 0, 1}, {"count", 2, 0, 100, true}}, 0.5, false}},
      {"crop", {{}, 1.0, false}},
  };
  return specs;
}

std::string number_text(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

double audio_number(const std::string& s, const std::string& op) {
  try {
    size_t used = 0;
    const double v = std::stod(s, &used);
    if (used == s.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  throw UsageError("audio recipe: " + op + ": '" + s + "' is not a finite number");
}

Op parse_audio_op(const std::string& token) {
  const size_t open = token.find('(');
  const std::string name = token.substr(0, open);
  auto it = audio_op_specs().find(name);
  if (it == audio_op_specs().end())
    throw UsageError("audio recipe: unknown op '" + name + "' (known: crop, gain, noise, shift, tmask)");
  const AudioOpSpec& spec = it->second;
  Op op{name, {}, spec.p};
  for (const auto& a : spec.args) op.args.push_back(a.fallback);
  std::string inside;
  if (open != std::string::npos) {
    if (token.back() != ')') throw UsageError("audio recipe: '" + token + "' is missing its closing parenthesis");
    inside = token.substr(open + 1, token.size() - open - 2);
  }
  size_t k = 0;
  std::stringstream ss(inside);
  std::string a;
  while (std::getline(ss, a, ',')) {
    if (a.rfind("p=", 0) == 0) {
      op.p = audio_number(a.substr(2), name);
    } else if (k < op.args.size()) {
      op.args[k++] = audio_number(a, name);
    } else {
      const std::string most = "at most " + std::to_string(op.args.size()) + " numbers";
      throw UsageError("audio recipe: " + name + " takes " + (op.args.empty() ? std::string("no numbers but p=") : most));
    }
  }
  if (op.p < 0 || op.p > 1) throw UsageError("audio recipe: " + name + ": p must be in [0, 1]");
  for (size_t i = 0; i < op.args.size(); ++i) {
    const AudioArg& r = spec.args[i];
    const double v = op.args[i];
    if (v < r.lo || v > r.hi || (r.whole && v != std::floor(v)))
      throw UsageError("audio recipe: " + name + ": " + r.name + " " + number_text(v) + " must be " +
                       (r.whole ? "a whole number " : "") + "in [" + number_text(r.lo) + ", " + number_text(r.hi) + "]");
  }
  if (spec.ordered && op.args[0] > op.args[1])
    throw UsageError("audio recipe: " + name + ": need " + spec.args[0].name + " <= " + spec.args[1].name);
  return op;
}

// The text of an op as written back into messages.
std::string op_text(const Op& op) {
  std::string out = op.name + "(";
  for (double a : op.args) out += number_text(a) + ",";
  return out + "p=" + number_text(op.p) + ")";
}

// Names the first sample of `x` that is NaN or infinite, or "" when all are finite.
std::string first_non_finite(const std::vector<float>& x) {
  for (size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i])) return "sample " + std::to_string(i) + " is " + (std::isnan(x[i]) ? "NaN" : "infinite");
  return "";
}

}  // namespace

Recipe make_audio_recipe(const std::string& spec) {
  for (const char* image : {"simclr", "mocov2", "byol", "rotation"})
    if (spec == image)
      throw UsageError("--recipe " + spec + " is an image recipe; audio takes 'audio' or a custom string of "
                       "gain, noise, shift, tmask and crop");
  const std::string text = spec == "audio" ? "gain(-6,6,p=0.5) noise(10,40,p=0.5) shift(0.1,p=0.5) tmask(0.1,2,p=0.5)"
                                           : spec;
  Recipe r;
  r.name = spec == "audio" ? "audio" : "custom";
  std::vector<Op> ops;
  std::string token;
  int depth = 0;
  auto flush = [&] {
    if (!token.empty()) ops.push_back(parse_audio_op(token));
    token.clear();
  };
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (std::isspace(static_cast<unsigned char>(c)) && depth == 0) flush();
    else if (!std::isspace(static_cast<unsigned char>(c))) token += c;
  }
  if (depth != 0) throw UsageError("audio recipe: unbalanced parentheses in '" + text + "'");
  flush();
  if (ops.empty()) throw UsageError("audio recipe: empty");
  r.views = {ops};
  return r;
}

std::vector<float> make_audio_view(const Recipe& r, const std::vector<float>& w, int length, int view, int out_len,
                                   Rng& rng) {
  std::vector<float> x(w.begin(), w.begin() + std::min<size_t>(w.size(), length));
  if (const std::string bad = first_non_finite(x); !bad.empty())
    throw Error("", "the clip itself holds non-finite samples (" + bad + "); ssl-info --verify checks a file");
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
    // Several loud gains in a row can still overflow a float: say which op did it.
    if (const std::string bad = first_non_finite(x); !bad.empty())
      throw Error("", op_text(op) + " made non-finite samples (" + bad + ")");
  }
  x.resize(out_len, 0.f);
  return x;
}

}  // namespace sslkit::augment
