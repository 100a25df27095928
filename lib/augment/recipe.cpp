#include "augment/recipe.hpp"

#include <cctype>
#include <cmath>
#include <map>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "augment/image_ops.hpp"
#include "core/error.hpp"

namespace sslkit::augment {

namespace {

struct OpSpec {
  std::vector<double> defaults;  // positional arguments and their defaults
  double p;                      // default probability
  bool first_arg_is_p;           // flip(0.5), gray(0.2): the one number is p
};

const std::map<std::string, OpSpec>& op_specs() {
  static const std::map<std::string, OpSpec> specs = {
      {"crop", {{0.08, 1.0, 3.0 / 4.0, 4.0 / 3.0}, 1.0, false}},
      {"flip", {{}, 0.5, true}},
      {"jitter", {{0.4, 0.4, 0.4, 0.1}, 0.8, false}},
      {"gray", {{}, 0.2, true}},
      {"blur", {{0.1, 2.0}, 0.5, false}},
      {"solarize", {{128}, 0.2, false}},
      {"equalize", {{}, 0.5, true}},
  };
  return specs;
}

double parse_number(const std::string& s, const std::string& op) {
  try {
    size_t used = 0;
    double v = std::stod(s, &used);
    if (used != s.size() || !std::isfinite(v)) throw std::invalid_argument(s);
    return v;
  } catch (const std::exception&) {
    throw UsageError("recipe: " + op + ": '" + s + "' is not a number");
  }
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

Op parse_op(const std::string& token) {
  std::string name = token, inside;
  size_t open = token.find('(');
  if (open != std::string::npos) {
    if (token.back() != ')') throw UsageError("recipe: '" + token + "' is missing its closing parenthesis");
    name = token.substr(0, open);
    inside = token.substr(open + 1, token.size() - open - 2);
  }
  auto it = op_specs().find(name);
  if (it == op_specs().end()) {
    std::string known;
    for (auto& [k, v] : op_specs()) known += (known.empty() ? "" : ", ") + k;
    throw UsageError("recipe: unknown op '" + name + "' (known: " + known + ")");
  }
  const OpSpec& spec = it->second;
  Op op{name, spec.defaults, spec.p};
  std::vector<double> pos;
  bool p_given = false;
  std::stringstream ss(inside);
  std::string arg;
  while (std::getline(ss, arg, ',')) {
    arg = trim(arg);
    if (arg.empty()) continue;
    if (arg.rfind("p=", 0) == 0) {
      op.p = parse_number(arg.substr(2), name);
      p_given = true;
    } else if (name == "crop" && (arg == "bicubic" || arg == "bilinear")) {
      // Interpolation of the resize (MAE uses bicubic); kept as a 5th number.
      op.args.resize(5);
      op.args[4] = arg == "bicubic" ? 1 : 0;
    } else {
      pos.push_back(parse_number(arg, name));
    }
  }
  if (spec.first_arg_is_p && !pos.empty()) {
    if (pos.size() > 1 || p_given) throw UsageError("recipe: " + name + " takes one number, its probability");
    op.p = pos[0];
    pos.clear();
  }
  if (pos.size() > std::min<size_t>(spec.defaults.size(), 4))
    throw UsageError("recipe: " + name + " takes at most " + std::to_string(spec.defaults.size()) + " numbers, got " +
                     std::to_string(pos.size()));
  for (size_t i = 0; i < pos.size(); ++i) op.args[i] = pos[i];
  if (op.p < 0 || op.p > 1) throw UsageError("recipe: " + name + ": p must be in [0, 1]");
  if (name == "crop" && !(op.args[0] > 0 && op.args[0] <= op.args[1] && op.args[1] <= 1 && op.args[2] > 0 &&
                          op.args[2] <= op.args[3]))
    throw UsageError("recipe: crop: need 0 < scale_lo <= scale_hi <= 1 and 0 < ratio_lo <= ratio_hi");
  if (name == "jitter") {
    for (int i = 0; i < 4; ++i)
      if (op.args[i] < 0) throw UsageError("recipe: jitter: factors must not be negative");
    if (op.args[3] > 0.5) throw UsageError("recipe: jitter: hue must be at most 0.5");
  }
  if (name == "blur" && !(op.args[0] > 0 && op.args[0] <= op.args[1]))
    throw UsageError("recipe: blur: need 0 < sigma_lo <= sigma_hi");
  return op;
}

std::vector<Op> parse_ops(const std::string& text) {
  std::vector<Op> ops;
  std::string token;
  int depth = 0;
  auto flush = [&] {
    token = trim(token);
    if (!token.empty()) ops.push_back(parse_op(token));
    token.clear();
  };
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (std::isspace(static_cast<unsigned char>(c)) && depth == 0) flush();
    else token += c;
  }
  if (depth != 0) throw UsageError("recipe: unbalanced parentheses in '" + text + "'");
  flush();
  if (ops.empty()) throw UsageError("recipe: empty");
  return ops;
}

std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

std::string Recipe::text() const {
  if (rotation) return "rotation";
  std::string out;
  for (size_t v = 0; v < views.size(); ++v) {
    if (views.size() > 1) out += (v ? " | " : "") + std::string("view") + std::to_string(v + 1) + ": ";
    for (size_t i = 0; i < views[v].size(); ++i) {
      const Op& op = views[v][i];
      out += (i ? " " : "") + op.name + "(";
      for (size_t a = 0; a < op.args.size() && a < 4; ++a) out += num(op.args[a]) + ",";
      if (op.args.size() > 4) out += op.args[4] == 1 ? "bicubic," : "bilinear,";
      out += "p=" + num(op.p) + ")";
    }
  }
  return out;
}

Recipe make_recipe(const std::string& spec, double s) {
  Recipe r;
  r.name = spec;
  if (spec == "simclr") {
    r.views = {parse_ops("crop(0.08,1) flip(0.5) jitter(" + num(0.8 * s) + "," + num(0.8 * s) + "," + num(0.8 * s) +
                         "," + num(0.2 * s) + ",p=0.8) gray(0.2) blur(0.1,2,p=0.5)")};
  } else if (spec == "mocov2") {
    r.views = {parse_ops("crop(0.2,1) flip(0.5) jitter(0.4,0.4,0.4,0.1,p=0.8) gray(0.2) blur(0.1,2,p=0.5)")};
  } else if (spec == "byol") {
    // Two asymmetric views: blur always / rarely, solarize never / sometimes.
    r.views = {parse_ops("crop(0.08,1) flip(0.5) jitter(0.4,0.4,0.2,0.1,p=0.8) gray(0.2) blur(0.1,2,p=1.0)"),
               parse_ops("crop(0.08,1) flip(0.5) jitter(0.4,0.4,0.2,0.1,p=0.8) gray(0.2) blur(0.1,2,p=0.1) "
                         "solarize(128,p=0.2)")};
  } else if (spec == "rotation") {
    r.rotation = true;
  } else {
    r.name = "custom";
    // "view1 ops | view2 ops" gives per-view pipelines.
    std::stringstream ss(spec);
    std::string part;
    while (std::getline(ss, part, '|')) r.views.push_back(parse_ops(part));
  }
  return r;
}

cv::Mat make_view(const Recipe& r, const cv::Mat& img, int view, int out_h, int out_w, Rng& rng, int32_t* pretext) {
  cv::Mat x = img;
  auto fit = [&](const cv::Mat& m) {
    if (m.rows == out_h && m.cols == out_w) return m;
    cv::Mat o;
    cv::resize(m, o, cv::Size(out_w, out_h), 0, 0, cv::INTER_LINEAR);
    return o;
  };
  if (r.rotation) {
    int k = view % 4;
    if (pretext) *pretext = k;
    return fit(rotate90(img, k));
  }
  for (const Op& op : r.views[view % r.views.size()]) {
    // Draw the coin even for p = 1 so the stream of draws has one shape.
    bool apply = rng.uniform() < op.p;
    if (op.name == "crop") {
      if (apply) {
        const int interp = op.args.size() > 4 && op.args[4] == 1 ? cv::INTER_CUBIC : cv::INTER_LINEAR;
        x = random_resized_crop(x, out_h, out_w, op.args[0], op.args[1], op.args[2], op.args[3], rng, interp);
      }
    } else if (!apply) {
      continue;
    } else if (op.name == "flip") {
      x = hflip(x);
    } else if (op.name == "jitter") {
      x = color_jitter(x, draw_jitter(op.args[0], op.args[1], op.args[2], op.args[3], rng));
    } else if (op.name == "gray") {
      x = to_gray(x);
    } else if (op.name == "blur") {
      x = gaussian_blur(x, rng.uniform(op.args[0], op.args[1]));
    } else if (op.name == "solarize") {
      x = solarize(x, static_cast<int>(op.args[0]));
    } else if (op.name == "equalize") {
      x = equalize(x);
    }
  }
  if (pretext) *pretext = -1;
  return fit(x).clone();
}

}  // namespace sslkit::augment
