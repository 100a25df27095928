#include "models/encoder_shape.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "core/error.hpp"

namespace sslkit::models {

using json = nlohmann::ordered_json;

namespace {

const std::vector<std::pair<EncoderKind, std::string>> kKinds = {
    {EncoderKind::convnet, "convnet"}, {EncoderKind::resnet, "resnet"}, {EncoderKind::vit, "vit"},
    {EncoderKind::text, "text"},       {EncoderKind::w2v, "w2v"}};
const std::vector<std::pair<NormPlacement, std::string>> kNorms = {{NormPlacement::pre, "pre"},
                                                                   {NormPlacement::post, "post"}};
const std::vector<std::pair<PositionKind, std::string>> kPositions = {
    {PositionKind::learned, "learned"}, {PositionKind::sincos, "sincos"}, {PositionKind::conv, "conv"},
    {PositionKind::none, "none"}};

template <class E>
std::string name_of(const std::vector<std::pair<E, std::string>>& names, E e) {
  for (const auto& [v, n] : names)
    if (v == e) return n;
  SSLKIT_FAIL("an enum value without a name");
}

// The value named `s`, or false.
template <class E>
bool value_of(const std::vector<std::pair<E, std::string>>& names, const std::string& s, E& out) {
  for (const auto& [v, n] : names)
    if (n == s) {
      out = v;
      return true;
    }
  return false;
}

template <class E>
std::string choices(const std::vector<std::pair<E, std::string>>& names) {
  std::string s;
  for (const auto& [v, n] : names) s += (s.empty() ? "" : " or ") + n;
  return s;
}

// The keys a kind's JSON (and its --arch overrides) use, in writing order.
std::vector<std::string> keys_of(EncoderKind k) {
  switch (k) {
    case EncoderKind::convnet: return {"widths"};
    case EncoderKind::resnet: return {"widths", "blocks"};
    case EncoderKind::vit: return {"width", "depth", "heads", "mlp", "norm", "eps", "position", "patch"};
    case EncoderKind::text: return {"width", "depth", "heads", "mlp", "norm", "eps", "position", "token_types", "pooler", "dropout"};
    case EncoderKind::w2v:
      return {"conv", "feature_norm", "conv_bias", "width", "depth", "heads", "mlp", "norm", "eps", "position", "pos_kernel", "pos_groups", "pos_weight_norm"};
  }
  SSLKIT_FAIL("an encoder kind without keys");
}

// Keys added after model files were written without them: a file that
// lacks one has the default (what every network had before the key).
bool added_later(const std::string& key) {
  return key == "conv_bias" || key == "pos_weight_norm" || key == "token_types" || key == "pooler" ||
         key == "dropout";
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// The keys --arch PRESET:key=value takes for a kind: the JSON's, but the
// patch (--patch) and the extractor's layers as three lists.
std::vector<std::string> arch_keys(EncoderKind kind) {
  std::vector<std::string> out;
  for (const auto& k : keys_of(kind))
    if (k == "conv") out.insert(out.end(), {"conv_channels", "conv_kernels", "conv_strides"});
    else if (k != "patch") out.push_back(k);
  return out;
}

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

EncoderShape transformer(EncoderKind kind, int64_t width, int64_t depth, int64_t heads, PositionKind pos) {
  EncoderShape s;
  s.kind = kind;
  s.width = width;
  s.depth = depth;
  s.heads = heads;
  s.mlp = 4 * width;
  s.position = pos;
  return s;
}

EncoderShape w2v(int64_t channels, int64_t width, int64_t depth, int64_t heads, int64_t pos_kernel, int64_t pos_groups) {
  EncoderShape s = transformer(EncoderKind::w2v, width, depth, heads, PositionKind::conv);
  // 320 samples (20 ms at 16 kHz) a frame, a receptive field of 400.
  const int64_t k[] = {10, 3, 3, 3, 3, 2, 2}, st[] = {5, 2, 2, 2, 2, 2, 2};
  for (int i = 0; i < 7; ++i) s.conv.push_back({channels, k[i], st[i]});
  s.pos_kernel = pos_kernel;
  s.pos_groups = pos_groups;
  return s;
}

}  // namespace

std::string kind_name(EncoderKind k) { return name_of(kKinds, k); }


std::string kind_modality(EncoderKind k) {
  return k == EncoderKind::text ? "text" : k == EncoderKind::w2v ? "audio" : "image";
}

const std::vector<ArchPreset>& arch_presets() {
  static const std::vector<ArchPreset> table = [] {
    EncoderShape convnet_s{.kind = EncoderKind::convnet, .widths = {32, 32, 64, 64, 128}};
    EncoderShape convnet_m{.kind = EncoderKind::convnet, .widths = {64, 64, 128, 128, 256}};
    EncoderShape resnet18{.kind = EncoderKind::resnet, .widths = {64, 128, 256, 512}, .blocks = {2, 2, 2, 2}};
    EncoderShape vit_mini = transformer(EncoderKind::vit, 128, 6, 4, PositionKind::sincos);
    EncoderShape vit_tiny = transformer(EncoderKind::vit, 192, 12, 3, PositionKind::sincos);
    vit_mini.patch = vit_tiny.patch = 4;
    return std::vector<ArchPreset>{
        {"convnet-s", "image", "5 conv layers 32-128 wide, 128 features (the reference for 28x28 gray images)", convnet_s},
        {"convnet-m", "image", "convnet-s at twice the width, 256 features", convnet_m},
        {"resnet18", "image", "ResNet-18 with the CIFAR stem (3x3 conv1, no max-pool), 512 features", resnet18},
        {"vit-mini", "image", "ViT: width 128, 6 blocks of 4 heads, patch 4 (learns in minutes on 2 cores)", vit_mini},
        {"vit-tiny", "image", "ViT-Tiny: width 192, 12 blocks of 3 heads, patch 4", vit_tiny},
        {"w2v-mini", "audio", "wav2vec 2.0: 7 conv layers of 128, width 256, 4 blocks of 4 heads, position kernel 15 in 16 groups",
         w2v(128, 256, 4, 4, 15, 16)},
        {"w2v-tiny", "audio", "wav2vec 2.0 for tests: 7 conv layers of 32, width 64, 2 blocks of 2 heads, position kernel 5 in 4 groups",
         w2v(32, 64, 2, 2, 5, 4)},
        {"bert-tiny", "text", "BERT-Tiny's shape (width 128, 2 layers, 2 heads, MLP 512), pre-LN",
         transformer(EncoderKind::text, 128, 2, 2, PositionKind::learned)},
        {"bert-mini", "text", "BERT-Mini's shape (width 256, 4 layers, 4 heads, MLP 1024), pre-LN",
         transformer(EncoderKind::text, 256, 4, 4, PositionKind::learned)},
    };
  }();
  return table;
}

std::vector<std::string> arch_names() {
  std::vector<std::string> out;
  for (const auto& p : arch_presets()) out.push_back(p.name);
  return out;
}

std::string arch_names_for(const std::string& modality) {
  std::string list;
  for (const auto& p : arch_presets())
    if (p.modality == modality) list += (list.empty() ? "" : ", ") + p.name;
  return list;
}

std::string preset_names_of(EncoderKind k) {
  std::string list;
  for (const auto& p : arch_presets())
    if (p.shape.kind == k) list += (list.empty() ? "" : ", ") + p.name;
  return list;
}

std::string arch_help(const std::string& modality) {
  std::string s = "Encoder: a preset";
  size_t width = 0;
  for (const auto& p : arch_presets()) width = std::max(width, p.name.size());
  std::vector<std::string> keys;
  for (const auto& p : arch_presets()) {
    if (!modality.empty() && p.modality != modality) continue;
    s += "\n  " + p.name + std::string(width + 2 - p.name.size(), ' ') + p.description;
    for (const auto& k : arch_keys(p.shape.kind))
      if (k != "position" && std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  s += "\nor PRESET:key=value,... to change its numbers (e.g. bert-mini:depth=2,norm=post,eps=1e-12; keys: " +
       join(keys, ", ") + "; lists separated by '/')";
  return s;
}

std::string shape_problem(const EncoderShape& s) {
  auto positive = [](const std::vector<int64_t>& v) {
    return !v.empty() && std::all_of(v.begin(), v.end(), [](int64_t x) { return x > 0; });
  };
  switch (s.kind) {
    case EncoderKind::convnet:
      if (!positive(s.widths)) return "widths: at least one layer, each at least 1 channel wide";
      return "";
    case EncoderKind::resnet:
      if (!positive(s.widths)) return "widths: at least one stage, each at least 1 channel wide";
      if (!positive(s.blocks) || s.blocks.size() != s.widths.size())
        return "blocks: one count (at least 1) per stage of widths (" + std::to_string(s.widths.size()) + ")";
      return "";
    default: break;
  }
  if (s.width < 1) return "width: at least 1";
  // A text encoder of depth 0 is its token vectors alone: with
  // position=none, a bag of tokens (what skip-gram trains).
  if (s.depth < (s.kind == EncoderKind::text ? 0 : 1))
    return s.kind == EncoderKind::text ? "depth: 0 or more blocks" : "depth: at least 1 block";
  if (s.heads < 1) return "heads: at least 1";
  if (s.width % s.heads != 0)
    return "heads: " + std::to_string(s.heads) + " do not divide width " + std::to_string(s.width);
  if (s.mlp < 1) return "mlp: at least 1";
  if (!(s.eps > 0) || !std::isfinite(s.eps)) return "eps: a positive number, not " + num(s.eps);
  if (s.kind == EncoderKind::vit) {
    if (s.position != PositionKind::sincos) return "position: a ViT's positions are sincos (fixed, any grid)";
    if (s.width % 4 != 0) return "width: sine-cosine positions need a multiple of 4, not " + std::to_string(s.width);
    if (s.patch < 1) return "patch: at least 1 pixel";
  } else if (s.kind == EncoderKind::text) {
    if (s.position != PositionKind::learned && s.position != PositionKind::none)
      return "position: a text encoder's positions are learned, or none (a bag of tokens)";
    if (s.token_types < 0) return "token_types: 0 (none) or more rows, not " + std::to_string(s.token_types);
    if (!(s.dropout >= 0 && s.dropout < 1)) return "dropout: a probability in [0, 1), not " + num(s.dropout);
  } else {
    if (s.position != PositionKind::conv) return "position: wav2vec 2.0's positions are a convolution (conv)";
    if (s.conv.empty()) return "conv: at least one feature extractor layer";
    for (const auto& c : s.conv)
      if (c.channels < 1 || c.kernel < 1 || c.stride < 1) return "conv: channels, kernel and stride at least 1";
    if (s.feature_norm != "group" && s.feature_norm != "layer")
      return "feature_norm: group (after the first conv layer) or layer (after every one), not '" + s.feature_norm + "'";
    if (s.pos_kernel < 1) return "pos_kernel: at least 1, not " + std::to_string(s.pos_kernel);
    if (s.pos_groups < 1 || s.width % s.pos_groups != 0)
      return "pos_groups: " + std::to_string(s.pos_groups) + " does not divide width " + std::to_string(s.width);
  }
  return "";
}

json to_json(const EncoderShape& s) {
  json j;
  j["kind"] = kind_name(s.kind);
  for (const auto& k : keys_of(s.kind)) {
    if (k == "widths") j[k] = s.widths;
    else if (k == "blocks") j[k] = s.blocks;
    else if (k == "width") j[k] = s.width;
    else if (k == "depth") j[k] = s.depth;
    else if (k == "heads") j[k] = s.heads;
    else if (k == "mlp") j[k] = s.mlp;
    else if (k == "norm") j[k] = name_of(kNorms, s.norm);
    else if (k == "eps") j[k] = s.eps;
    else if (k == "position") j[k] = name_of(kPositions, s.position);
    else if (k == "patch") j[k] = s.patch;
    else if (k == "feature_norm") j[k] = s.feature_norm;
    else if (k == "conv_bias") j[k] = s.conv_bias;
    else if (k == "pos_weight_norm") j[k] = s.pos_weight_norm;
    else if (k == "pos_kernel") j[k] = s.pos_kernel;
    else if (k == "pos_groups") j[k] = s.pos_groups;
    else if (k == "token_types") {
      if (s.token_types != 0) j[k] = s.token_types;
    } else if (k == "pooler") {
      if (s.pooler) j[k] = s.pooler;
    } else if (k == "dropout") {
      if (s.dropout != 0) j[k] = s.dropout;
    } else if (k == "conv") {
      j[k] = json::array();
      for (const auto& c : s.conv) j[k].push_back(json{{"channels", c.channels}, {"kernel", c.kernel}, {"stride", c.stride}});
    }
  }
  return j;
}

EncoderShape from_json(const json& j, const std::string& file) {
  auto bad = [&](const std::string& key, const std::string& why) {
    return Error(file, "/config encoder" + (key.empty() ? "" : "." + key) + ": " + why);
  };
  if (!j.is_object()) throw bad("", "is not a JSON object");
  if (!j.contains("kind") || !j["kind"].is_string()) throw bad("kind", "missing (" + choices(kKinds) + ")");
  EncoderShape s;
  if (!value_of(kKinds, j["kind"].get<std::string>(), s.kind))
    throw bad("kind", "'" + j["kind"].get<std::string>() + "' is not " + choices(kKinds));
  const std::vector<std::string> keys = keys_of(s.kind);
  for (const auto& [k, v] : j.items())
    if (k != "kind" && std::find(keys.begin(), keys.end(), k) == keys.end())
      throw bad(k, "not a key of a " + kind_name(s.kind) + " encoder (" + join(keys, ", ") + ")");
  auto need = [&](const std::string& k) -> const json& {
    if (!j.contains(k)) throw bad(k, "missing");
    return j[k];
  };
  auto integer = [&](const json& v, const std::string& k) {
    if (!v.is_number_integer()) throw bad(k, "not an integer: " + v.dump());
    return v.get<int64_t>();
  };
  auto integers = [&](const std::string& k) {
    const json& v = need(k);
    if (!v.is_array()) throw bad(k, "not a list of integers: " + v.dump());
    std::vector<int64_t> out;
    for (const auto& x : v) out.push_back(integer(x, k));
    return out;
  };
  auto text = [&](const std::string& k) {
    const json& v = need(k);
    if (!v.is_string()) throw bad(k, "not a string: " + v.dump());
    return v.get<std::string>();
  };
  for (const auto& k : keys) {
    if (added_later(k) && !j.contains(k)) continue;
    if (k == "widths") s.widths = integers(k);
    else if (k == "blocks") s.blocks = integers(k);
    else if (k == "width") s.width = integer(need(k), k);
    else if (k == "depth") s.depth = integer(need(k), k);
    else if (k == "heads") s.heads = integer(need(k), k);
    else if (k == "mlp") s.mlp = integer(need(k), k);
    else if (k == "patch") s.patch = integer(need(k), k);
    else if (k == "pos_kernel") s.pos_kernel = integer(need(k), k);
    else if (k == "pos_groups") s.pos_groups = integer(need(k), k);
    else if (k == "feature_norm") s.feature_norm = text(k);
    else if (k == "token_types") s.token_types = integer(need(k), k);
    else if (k == "pooler" || k == "conv_bias" || k == "pos_weight_norm") {
      if (!j[k].is_boolean()) throw bad(k, "not true or false: " + j[k].dump());
      (k == "pooler" ? s.pooler : k == "conv_bias" ? s.conv_bias : s.pos_weight_norm) = j[k].get<bool>();
    } else if (k == "eps" || k == "dropout") {
      const json& v = need(k);
      if (!v.is_number()) throw bad(k, "not a number: " + v.dump());
      (k == "eps" ? s.eps : s.dropout) = v.get<double>();
    } else if (k == "norm") {
      if (!value_of(kNorms, text(k), s.norm)) throw bad(k, "'" + text(k) + "' is not " + choices(kNorms));
    } else if (k == "position") {
      if (!value_of(kPositions, text(k), s.position)) throw bad(k, "'" + text(k) + "' is not " + choices(kPositions));
    } else if (k == "conv") {
      const json& v = need(k);
      if (!v.is_array()) throw bad(k, "not a list of layers: " + v.dump());
      for (const auto& layer : v) {
        if (!layer.is_object() || layer.size() != 3 || !layer.contains("channels") || !layer.contains("kernel") ||
            !layer.contains("stride"))
          throw bad(k, "each layer is {\"channels\", \"kernel\", \"stride\"}, not " + layer.dump());
        s.conv.push_back({integer(layer["channels"], k), integer(layer["kernel"], k), integer(layer["stride"], k)});
      }
    }
  }
  const std::string problem = shape_problem(s);
  if (!problem.empty()) throw bad(problem.substr(0, problem.find(':')), problem.substr(problem.find(':') + 2));
  return s;
}

std::string arch_preset_name(const std::string& arch) { return arch.substr(0, arch.find(':')); }

EncoderShape parse_arch(const std::string& arch) {
  const std::string name = arch_preset_name(arch);
  const ArchPreset* preset = nullptr;
  for (const auto& p : arch_presets())
    if (p.name == name) preset = &p;
  if (!preset)
    throw UsageError("--arch must be a preset (" + join(arch_names(), ", ") + "), or PRESET:key=value,..., not '" + arch + "'");
  EncoderShape s = preset->shape;
  if (name.size() == arch.size()) return s;
  const std::string where = "--arch " + arch + ": ";
  const std::vector<std::string> allowed = arch_keys(s.kind);

  std::map<std::string, std::string> given;
  const std::string rest = arch.substr(name.size() + 1);
  size_t at = 0;
  while (at <= rest.size()) {
    const size_t end = std::min(rest.find(',', at), rest.size());
    const std::string item = rest.substr(at, end - at);
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      throw UsageError(where + "'" + item + "' is not key=value");
    const std::string key = item.substr(0, eq);
    if (key == "patch") throw UsageError(where + "the patch side is --patch, not a key of --arch");
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      throw UsageError(where + "'" + key + "' is not a key of a " + kind_name(s.kind) + " encoder (" + join(allowed, ", ") + ")");
    if (given.count(key)) throw UsageError(where + "'" + key + "' given twice");
    given[key] = item.substr(eq + 1);
    at = end + 1;
  }
  auto integer = [&](const std::string& key, const std::string& v) {
    char* e = nullptr;
    const long long x = std::strtoll(v.c_str(), &e, 10);
    if (v.empty() || *e != '\0') throw UsageError(where + key + "=" + v + " is not an integer");
    return static_cast<int64_t>(x);
  };
  auto list = [&](const std::string& key) {
    std::vector<int64_t> out;
    const std::string& v = given.at(key);
    size_t a = 0;
    while (a <= v.size()) {
      const size_t b = std::min(v.find('/', a), v.size());
      out.push_back(integer(key, v.substr(a, b - a)));
      a = b + 1;
    }
    return out;
  };
  const int64_t preset_width = s.width;
  for (const auto& [key, v] : given) {
    if (key == "widths") s.widths = list(key);
    else if (key == "blocks") s.blocks = list(key);
    else if (key == "width") s.width = integer(key, v);
    else if (key == "depth") s.depth = integer(key, v);
    else if (key == "heads") s.heads = integer(key, v);
    else if (key == "mlp") s.mlp = integer(key, v);
    else if (key == "pos_kernel") s.pos_kernel = integer(key, v);
    else if (key == "pos_groups") s.pos_groups = integer(key, v);
    else if (key == "feature_norm") s.feature_norm = v;
    else if (key == "token_types") s.token_types = integer(key, v);
    else if (key == "pooler" || key == "conv_bias" || key == "pos_weight_norm") {
      if (v != "true" && v != "false") throw UsageError(where + key + "=" + v + " is not true or false");
      (key == "pooler" ? s.pooler : key == "conv_bias" ? s.conv_bias : s.pos_weight_norm) = v == "true";
    } else if (key == "eps" || key == "dropout") {
      char* e = nullptr;
      (key == "eps" ? s.eps : s.dropout) = std::strtod(v.c_str(), &e);
      if (v.empty() || *e != '\0') throw UsageError(where + key + "=" + v + " is not a number");
    } else if (key == "norm") {
      if (!value_of(kNorms, v, s.norm)) throw UsageError(where + "norm=" + v + " is not " + choices(kNorms));
    } else if (key == "position") {
      if (!value_of(kPositions, v, s.position)) throw UsageError(where + "position=" + v + " is not " + choices(kPositions));
    }
  }
  // The MLP keeps the preset's ratio to the width unless given.
  if (given.count("width") && !given.count("mlp") && preset_width > 0) s.mlp = s.width * (preset->shape.mlp / preset_width);
  // wav2vec's extractor: the kernels and strides say how many layers; one
  // channel count is every layer's.
  if (given.count("conv_kernels") || given.count("conv_strides") || given.count("conv_channels")) {
    std::vector<int64_t> k, st, ch;
    for (const auto& c : s.conv) k.push_back(c.kernel), st.push_back(c.stride), ch.push_back(c.channels);
    if (given.count("conv_kernels")) k = list("conv_kernels");
    if (given.count("conv_strides")) st = list("conv_strides");
    if (given.count("conv_channels")) ch = list("conv_channels");
    if (ch.size() == 1) ch.assign(k.size(), ch[0]);
    if (k.size() != st.size() || k.size() != ch.size())
      throw UsageError(where + "conv_kernels, conv_strides and conv_channels list " + std::to_string(k.size()) + ", " +
                       std::to_string(st.size()) + " and " + std::to_string(ch.size()) + " layers");
    s.conv.clear();
    for (size_t i = 0; i < k.size(); ++i) s.conv.push_back({ch[i], k[i], st[i]});
  }
  const std::string problem = shape_problem(s);
  if (!problem.empty()) throw UsageError(where + problem);
  return s;
}

std::string arch_problem(const std::string& arch) {
  try {
    parse_arch(arch);
    return "";
  } catch (const UsageError& e) {
    // CLI11 puts "--arch: " before it.
    const std::string m = e.what();
    return m.rfind("--arch ", 0) == 0 ? m.substr(7) : m;
  }
}

std::string arch_modality(const std::string& arch) {
  const std::string name = arch_preset_name(arch);
  for (const auto& p : arch_presets())
    if (p.name == name) return p.modality;
  throw UsageError("--arch must be one of " + join(arch_names(), ", ") + " (or PRESET:key=value,...), not '" + arch + "'");
}

void check_arch_modality(const std::string& arch, const std::string& modality, const std::string& file) {
  const std::string has = arch_modality(arch);
  if (has == modality) return;
  const std::string holds = modality == "text" ? " is a text file" : modality == "audio" ? " holds audio" : " holds images";
  throw UsageError("--arch " + arch + " is " + (has == "audio" || has == "image" ? "an " : "a ") + has +
                   " encoder; " + file + holds + " (" + arch_names_for(modality) + ")");
}

}  // namespace sslkit::models
