#include "apps/export_onnx.hpp"

#include "apps/export.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "core/error.hpp"
#include "io/model_file.hpp"
#include "io/onnx_writer.hpp"
#include "methods/method.hpp"
#include "methods/registry.hpp"
#include "models/encoder_shape.hpp"
#include "models/vit.hpp"
#include "train/trained_model.hpp"

namespace sslkit::train {

using io::OnnxAttribute;
using io::OnnxDim;
using io::OnnxType;
using models::EncoderKind;
using nlohmann::ordered_json;

namespace {

OnnxAttribute attr(const std::string& name, int64_t v) { return OnnxAttribute::of(name, v); }
OnnxAttribute attr(const std::string& name, float v) { return OnnxAttribute::of(name, v); }
OnnxAttribute attr(const std::string& name, std::vector<int64_t> v) { return OnnxAttribute::of(name, std::move(v)); }

// A graph under construction: nodes whose outputs get fresh names from a
// hint, weights as initializers under the model file's own names.
class Graph {
 public:
  io::OnnxModel model;

  // One node with one output; returns the output's name.
  std::string op(const std::string& type, std::vector<std::string> inputs, std::vector<OnnxAttribute> attrs = {},
                 const std::string& hint = "") {
    const std::string out = fresh(hint.empty() ? type : hint);
    model.nodes.push_back({type, "", std::move(inputs), {out}, std::move(attrs)});
    return out;
  }
  std::string fresh(const std::string& hint) {
    const int n = used_[hint]++;
    return n == 0 ? hint : hint + "_" + std::to_string(n);
  }
  std::string weight(const std::string& name, std::vector<int64_t> dims, const std::vector<float>& v) {
    model.initializers.push_back(io::OnnxTensor::f32(name, std::move(dims), v));
    return name;
  }
  // A constant f32 scalar (shared by every node that uses the same value).
  std::string scalar(float v) {
    char name[48];
    std::snprintf(name, sizeof name, "const_%.9g", static_cast<double>(v));
    if (!consts_.count(name)) {
      consts_.insert(name);
      model.initializers.push_back(io::OnnxTensor::f32(name, {}, {v}));
    }
    return name;
  }
  // A constant 1-D int64 tensor (shapes, axes, indices).
  std::string ints(const std::vector<int64_t>& v) {
    std::string name = "ints";
    for (int64_t x : v) name += "_" + (x < 0 ? "m" + std::to_string(-x) : std::to_string(x));
    if (!consts_.count(name)) {
      consts_.insert(name);
      model.initializers.push_back(io::OnnxTensor::i64(name, {static_cast<int64_t>(v.size())}, v));
    }
    return name;
  }
  std::string scalar_index(int64_t v) {
    const std::string name = "index_" + std::to_string(v);
    if (!consts_.count(name)) {
      consts_.insert(name);
      model.initializers.push_back(io::OnnxTensor::i64(name, {}, {v}));
    }
    return name;
  }

 private:
  std::map<std::string, int> used_;
  std::set<std::string> consts_;
};

// What the export reads: the model file's tensors and its facts.
struct Model {
  std::string path;
  io::ModelReader reader;
  ordered_json config;
  std::string method, arch, prefix, pool;
  models::EncoderShape shape;
  int64_t in_channels = 1, height = 0, width = 0;
  float mean = 0, stdev = 1;
  std::vector<uint8_t> tokenizer;
  int64_t max_len = 0, sample_rate = 0;

  explicit Model(const std::string& p) : path(p), reader(p) {
    TrainedModel t = load_trained_model(p);  // refuses what is not a model file, in its words
    config = ordered_json::parse(t.config);
    method = t.method_name;
    arch = t.arch;
    in_channels = t.in_channels;
    mean = t.norm.mean_of(0);  // the one value of a single-number normalisation (pixel_numbers)
    stdev = t.norm.std_of(0);
    tokenizer = t.tokenizer;
    max_len = t.max_len;
    sample_rate = t.sample_rate;
    const methods::MethodParams params = methods::read_params(config, p);
    shape = methods::encoder_shape(params);
    pool = params.pool;
    prefix = reader.has("params", "text_encoder.tokens.table") ? "text_encoder." : "encoder.";
    if (config.contains("input_shape") && config["input_shape"].size() == 2) {
      height = config["input_shape"][0];
      width = config["input_shape"][1];
    }
  }
  io::StoredTensor get(const std::string& name, const std::string& group = "params") const {
    taken.insert(group + "/" + prefix + name);
    return reader.tensor(group, prefix + name);
  }
  // A usage error naming the first tensor of the encoder no emitter read:
  // a part the graph would silently leave out (an imported model's pooler,
  // say) is refused, never dropped.
  void check_all_taken(const std::set<std::string>& unused) const {
    for (const char* group : {"params", "buffers"})
      for (const std::string& name : reader.names(group))
        if (name.rfind(prefix, 0) == 0 && !taken.count(std::string(group) + "/" + name) &&
            !unused.count(name.substr(prefix.size())))
          throw UsageError("--to onnx does not know the encoder's " + name + " (" + path + ", " + arch +
                           "): it would be left out of the graph");
  }
  mutable std::set<std::string> taken;
  bool has(const std::string& name) const { return reader.has("params", prefix + name); }
};

// ---- Layers shared by the emitters.

// A parameter of the encoder as an initializer under its model-file name.
std::string param(Graph& g, const Model& m, const std::string& name, const std::string& group = "params") {
  const io::StoredTensor t = m.get(name, group);
  return g.weight(m.prefix + name, t.shape, t.values);
}

// The position convolution's weight: W, or under weight norm (an imported
// wav2vec 2.0, shape key pos_weight_norm) g * v / |v| per tap, folded here
// in double: the graph computes what the model does.
std::string pos_conv_weight(Graph& g, const Model& m) {
  if (!m.shape.pos_weight_norm) return param(g, m, "pos_conv.weight");
  const io::StoredTensor gs = m.get("pos_conv.weight_g"), v = m.get("pos_conv.weight_v");
  const int64_t k = v.shape[2], rows = v.shape[0] * v.shape[1];
  std::vector<float> w(v.values.size());
  for (int64_t j = 0; j < k; ++j) {
    double norm = 0;
    for (int64_t r = 0; r < rows; ++r) norm += static_cast<double>(v.values[r * k + j]) * v.values[r * k + j];
    norm = std::sqrt(norm);
    for (int64_t r = 0; r < rows; ++r) w[r * k + j] = static_cast<float>(gs.values[j] * (v.values[r * k + j] / norm));
  }
  return g.weight(m.prefix + "pos_conv.weight", v.shape, w);
}

// x @ W^T + b for a Linear [out, in] (its weight stored transposed for MatMul).
std::string linear(Graph& g, const Model& m, const std::string& x, const std::string& name) {
  const io::StoredTensor w = m.get(name + ".weight");
  const int64_t out = w.shape[0], in = w.shape[1];
  std::vector<float> wt(w.values.size());
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i) wt[i * out + o] = w.values[o * in + i];
  const std::string W = g.weight(m.prefix + name + ".weight.T", {in, out}, wt);
  return g.op("Add", {g.op("MatMul", {x, W}, {}, name + ".matmul"), param(g, m, name + ".bias")}, {}, name);
}

// A layer norm over the last axis; its epsilon the shape's unless given.
std::string layer_norm(Graph& g, const Model& m, const std::string& x, const std::string& name, double eps = 0) {
  return g.op("LayerNormalization", {x, param(g, m, name + ".weight"), param(g, m, name + ".bias")},
              {attr("axis", int64_t{-1}), attr("epsilon", static_cast<float>(eps > 0 ? eps : m.shape.eps))}, name);
}

// GELU in its erf form (sslkit's, and opset 17 has no Gelu op): 0.5 x (1 + erf(x / sqrt 2)).
std::string gelu(Graph& g, const std::string& x, const std::string& hint) {
  const std::string e = g.op("Erf", {g.op("Div", {x, g.scalar(static_cast<float>(M_SQRT2))})});
  return g.op("Mul", {g.op("Mul", {x, g.op("Add", {e, g.scalar(1.0f)})}), g.scalar(0.5f)}, {}, hint);
}

// Multi-head self-attention of x [N,T,D]; `keep` (bool [N,1,1,T], or empty)
// marks the real keys: padded keys' scores are set to -1e9, as sslkit's
// scale_mask_keys sets them (not added).
std::string attention(Graph& g, const Model& m, const std::string& x, const std::string& name, const std::string& keep) {
  const int64_t H = m.shape.heads, D = m.shape.width, dh = D / H;
  auto heads = [&](const std::string& part, std::vector<int64_t> perm) {
    const std::string p = linear(g, m, x, name + "." + part);
    return g.op("Transpose", {g.op("Reshape", {p, g.ints({0, 0, H, dh})})}, {attr("perm", std::move(perm))});
  };
  const std::string q = heads("q", {0, 2, 1, 3}), k = heads("k", {0, 2, 3, 1}), v = heads("v", {0, 2, 1, 3});
  std::string scores =
      g.op("Mul", {g.op("MatMul", {q, k}), g.scalar(1.0f / std::sqrt(static_cast<float>(dh)))}, {}, name + ".scores");
  if (!keep.empty()) scores = g.op("Where", {keep, scores, g.scalar(-1e9f)}, {}, name + ".masked");
  const std::string p = g.op("Softmax", {scores}, {attr("axis", int64_t{-1})}, name + ".softmax");
  const std::string ctx = g.op("Reshape", {g.op("Transpose", {g.op("MatMul", {p, v})}, {attr("perm", {0, 2, 1, 3})}),
                                           g.ints({0, 0, D})});
  return linear(g, m, ctx, name + ".out");
}

std::string mlp(Graph& g, const Model& m, const std::string& x, const std::string& name) {
  return linear(g, m, gelu(g, linear(g, m, x, name + ".fc1"), name + ".gelu"), name + ".fc2");
}

// The blocks and the encoder's one extra norm, arranged as the shape says
// (models/transformer_stack.cpp): pre-LN x + f(LN(x)) then the norm after
// the last block; post-LN the norm first, then LN(x + f(x)).
std::string transformer(Graph& g, const Model& m, std::string h, const std::string& keep) {
  const bool post = m.shape.norm == models::NormPlacement::post;
  if (post) h = layer_norm(g, m, h, "norm");
  for (int64_t i = 0; i < m.shape.depth; ++i) {
    const std::string b = "block" + std::to_string(i);
    if (post) {
      h = layer_norm(g, m, g.op("Add", {h, attention(g, m, h, b + ".attn", keep)}), b + ".ln1");
      h = layer_norm(g, m, g.op("Add", {h, mlp(g, m, h, b)}), b + ".ln2");
    } else {
      h = g.op("Add", {h, attention(g, m, layer_norm(g, m, h, b + ".ln1"), b + ".attn", keep)}, {}, b + ".res1");
      h = g.op("Add", {h, mlp(g, m, layer_norm(g, m, h, b + ".ln2"), b)}, {}, b + ".res2");
    }
  }
  return post ? h : layer_norm(g, m, h, "norm");
}

// ---- Convolutional encoders: images NCHW, any size.

std::string conv(Graph& g, const Model& m, const std::string& x, const std::string& name, int64_t stride, int64_t pad) {
  const io::StoredTensor w = m.get(name + ".weight");
  std::vector<std::string> in = {x, g.weight(m.prefix + name + ".weight", w.shape, w.values)};
  if (m.has(name + ".bias")) in.push_back(param(g, m, name + ".bias"));
  return g.op("Conv", in,
              {attr("kernel_shape", {w.shape[2], w.shape[3]}), attr("strides", {stride, stride}),
               attr("pads", {pad, pad, pad, pad})},
              name);
}

// Batch norm in eval mode: the running statistics (eps 1e-5, nn::BatchNorm's).
std::string batch_norm(Graph& g, const Model& m, const std::string& x, const std::string& name) {
  return g.op("BatchNormalization",
              {x, param(g, m, name + ".weight"), param(g, m, name + ".bias"),
               param(g, m, name + ".running_mean", "buffers"), param(g, m, name + ".running_var", "buffers")},
              {attr("epsilon", 1e-5f)}, name);
}

std::string relu(Graph& g, const std::string& x) { return g.op("Relu", {x}); }

std::string global_pool(Graph& g, const std::string& x) {
  return g.op("Flatten", {g.op("GlobalAveragePool", {x})}, {attr("axis", int64_t{1})});
}

std::string convnet(Graph& g, const Model& m, const std::string& x) {
  std::string h = x;
  const size_t L = m.shape.widths.size();
  for (size_t i = 0; i < L; ++i) {
    const std::string n = std::to_string(i);
    h = relu(g, batch_norm(g, m, conv(g, m, h, "conv" + n, 1, 1), "bn" + n));
    if (i % 2 == 1 && i + 1 < L) h = g.op("MaxPool", {h}, {attr("kernel_shape", {2, 2}), attr("strides", {2, 2})});
  }
  return global_pool(g, h);
}

std::string resnet(Graph& g, const Model& m, const std::string& x) {
  std::string h = relu(g, batch_norm(g, m, conv(g, m, x, "conv1", 1, 1), "bn1"));
  for (size_t stage = 0; stage < m.shape.blocks.size(); ++stage)
    for (int64_t b = 0; b < m.shape.blocks[stage]; ++b) {
      const std::string p = "layer" + std::to_string(stage + 1) + "." + std::to_string(b) + ".";
      const int64_t stride = stage > 0 && b == 0 ? 2 : 1;
      std::string y = relu(g, batch_norm(g, m, conv(g, m, h, p + "conv1", stride, 1), p + "bn1"));
      y = batch_norm(g, m, conv(g, m, y, p + "conv2", 1, 1), p + "bn2");
      const std::string skip = m.has(p + "downsample.0.weight")
                                   ? batch_norm(g, m, conv(g, m, h, p + "downsample.0", stride, 0), p + "downsample.1")
                                   : h;
      h = relu(g, g.op("Add", {y, skip}));
    }
  return global_pool(g, h);
}

// ---- ViT: images NCHW of the trained size (the position table is fixed to its grid).

// A transformer's pooled features and its hidden states.
struct Encoded {
  std::string features, hidden;
  std::string pooled;  // BERT's pooler output (text with a pooler), else empty
};

Encoded vit(Graph& g, const Model& m, const std::string& x) {
  const int64_t D = m.shape.width, p = m.shape.patch;
  if (m.height <= 0 || m.width <= 0 || m.height % p || m.width % p)
    throw Error(m.path, "/config input_shape does not hold a grid of " + std::to_string(p) + "-pixel patches");
  const int64_t gh = m.height / p, gw = m.width / p, L = gh * gw;
  const io::StoredTensor w = m.get("patch_embed.weight");
  const std::string patches =
      g.op("Conv", {x, g.weight(m.prefix + "patch_embed.weight", w.shape, w.values), param(g, m, "patch_embed.bias")},
           {attr("kernel_shape", {p, p}), attr("strides", {p, p})}, "patch_embed");
  // [N,D,gh,gw] -> [N,L,D], patches in grid order as sslkit's channels-last reshape.
  std::string t = g.op("Transpose", {g.op("Reshape", {patches, g.ints({0, D, L})})}, {attr("perm", {0, 2, 1})});
  const nn::Tensor pos = models::sincos_2d(D, gh, gw);
  t = g.op("Add", {t, g.weight("sincos_positions", {1, L, D}, std::vector<float>(pos.f32(), pos.f32() + L * D))}, {},
           "patch_tokens");
  // The class token [1,1,D] expanded to the batch, first in each sequence (its position is MAE's zero row).
  const io::StoredTensor cls = m.get("cls_token");
  const std::string batch = g.op("Shape", {x}, {attr("start", int64_t{0}), attr("end", int64_t{1})}, "batch_size");
  const std::string cls_shape = g.op("Concat", {batch, g.ints({1, D})}, {attr("axis", int64_t{0})});
  const std::string cls_rows =
      g.op("Expand", {g.weight(m.prefix + "cls_token", {1, 1, D}, cls.values), cls_shape}, {}, "cls_tokens");
  std::string h = g.op("Concat", {cls_rows, t}, {attr("axis", int64_t{1})}, "tokens");
  h = transformer(g, m, h, "");
  std::string f;
  if (m.pool == "mean")
    f = g.op("ReduceMean",
             {g.op("Slice", {h, g.ints({1}), g.ints({1 + L}), g.ints({1})}, {}, "patch_states")},
             {attr("axes", std::vector<int64_t>{1}), attr("keepdims", int64_t{0})});
  else
    f = g.op("Gather", {h, g.scalar_index(0)}, {attr("axis", int64_t{1})});
  return {f, h};
}

// ---- Text: input_ids and attention_mask int64 [N,T], T at most the trained positions.

Encoded text(Graph& g, const Model& m, const std::string& ids, const std::string& mask) {
  const std::string words = g.op("Gather", {param(g, m, "tokens.table"), ids}, {attr("axis", int64_t{0})}, "words");
  const std::string length = g.op("Shape", {ids}, {attr("start", int64_t{1}), attr("end", int64_t{2})}, "length");
  const std::string positions =
      g.op("Slice", {param(g, m, "positions.table"), g.ints({0}), length, g.ints({0})}, {}, "positions");
  std::string h = g.op("Add", {words, positions}, {}, "embeddings");
  // BERT's token-type row 0: sslkit's texts are one segment (TextEncoder::forward).
  if (m.shape.token_types > 0)
    h = g.op("Add", {h, g.op("Slice", {param(g, m, "token_types.table"), g.ints({0}), g.ints({1}), g.ints({0})}, {},
                              "token_type_0")},
             {}, "typed_embeddings");
  const std::string keep = g.op(
      "Unsqueeze", {g.op("Cast", {mask}, {attr("to", int64_t{static_cast<int64_t>(OnnxType::boolean)})}), g.ints({1, 2})},
      {}, "real_keys");
  h = transformer(g, m, h, keep);
  // The mean over each row's real tokens (sslkit's sequence_mean).
  const std::string w =
      g.op("Unsqueeze", {g.op("Cast", {mask}, {attr("to", int64_t{static_cast<int64_t>(OnnxType::f32)})}), g.ints({2})},
           {}, "token_weights");
  const std::string sum = g.op("ReduceSum", {g.op("Mul", {h, w}), g.ints({1})}, {attr("keepdims", int64_t{0})});
  const std::string count =
      g.op("Max", {g.op("ReduceSum", {w, g.ints({1})}, {attr("keepdims", int64_t{0})}), g.scalar(1.0f)}, {}, "tokens");
  std::string pooled;
  if (m.shape.pooler) {  // tanh(dense(the [CLS] token)), BERT's pooler
    const std::string first = g.op("Gather", {h, g.ints({0})}, {attr("axis", int64_t{1})}, "cls_token");
    const std::string cls = g.op("Squeeze", {first, g.ints({1})}, {}, "cls");
    pooled = g.op("Tanh", {linear(g, m, cls, "pooler")}, {}, "pooled");
  }
  return {g.op("Div", {sum, count}), h, pooled};
}

// ---- wav2vec 2.0: the raw waveform [N,S] and a sample mask, standardised here as ssl-embed does.

struct W2vOut {
  std::string features, hidden, extract;
};

std::string to_f32(Graph& g, const std::string& x, const std::string& hint) {
  return g.op("Cast", {x}, {attr("to", int64_t{static_cast<int64_t>(OnnxType::f32)})}, hint);
}

W2vOut w2v(Graph& g, const Model& m, const std::string& wave, const std::string& mask) {
  const bool layer_norms = m.shape.feature_norm == "layer";
  if (!layer_norms && m.shape.feature_norm != "group")
    throw UsageError("--to onnx writes wav2vec 2.0 encoders with a group-norm or layer-norm extractor; " + m.path +
                     " has '" + m.shape.feature_norm + "'");
  const auto sum1 = [&](const std::string& x) { return g.op("ReduceSum", {x, g.ints({1})}, {attr("keepdims", int64_t{1})}); };
  // Each clip standardised over its real samples (models::normalize_waveform:
  // HF's 1e-7 under the root); the padding stays 0.
  const std::string real = to_f32(g, mask, "real_samples");
  const std::string samples = sum1(real);
  const std::string n = g.op("Max", {samples, g.scalar(1.0f)});
  const std::string mean = g.op("Div", {sum1(g.op("Mul", {wave, real})), n}, {}, "clip_mean");
  const std::string centred = g.op("Mul", {g.op("Sub", {wave, mean}), real});
  const std::string var = g.op("Div", {sum1(g.op("Mul", {centred, centred})), n}, {}, "clip_var");
  std::string x = g.op("Div", {centred, g.op("Sqrt", {g.op("Add", {var, g.scalar(1e-7f)})})}, {}, "standardised");
  x = g.op("Unsqueeze", {x, g.ints({1})});  // [N,1,S]
  // The feature extractor: convs (with a bias when the model has one), group
  // norm (one group per channel: InstanceNormalization) after the first or
  // a layer norm after each, GELU after each. The real frames of each clip
  // follow the same arithmetic on its length.
  std::string frames = samples;
  for (size_t i = 0; i < m.shape.conv.size(); ++i) {
    const models::ConvLayer& c = m.shape.conv[i];
    const std::string name = "conv" + std::to_string(i);
    std::vector<std::string> in = {x, param(g, m, name + ".weight")};
    if (m.has(name + ".bias")) in.push_back(param(g, m, name + ".bias"));  // wav2vec2-large's extractors
    x = g.op("Conv", in,
             {attr("kernel_shape", std::vector<int64_t>{c.kernel}), attr("strides", std::vector<int64_t>{c.stride})}, name);
    if (layer_norms)  // every frame over its channels (extractor mode layer_norm; eps 1e-5, HF's)
      x = g.op("Transpose",
               {layer_norm(g, m, g.op("Transpose", {x}, {attr("perm", {0, 2, 1})}), name + ".norm", 1e-5)},
               {attr("perm", {0, 2, 1})});
    else if (i == 0)
      x = g.op("InstanceNormalization", {x, param(g, m, "conv0.norm.weight"), param(g, m, "conv0.norm.bias")},
               {attr("epsilon", 1e-5f)}, "conv0.norm");
    x = gelu(g, x, name + ".gelu");
    // floor((t - k) / s) + 1, and 0 when t < k (the floor is then at most -1).
    frames = g.op("Relu", {g.op("Add", {g.op("Floor", {g.op("Div", {g.op("Sub", {frames, g.scalar(static_cast<float>(c.kernel))}),
                                                                      g.scalar(static_cast<float>(c.stride))})}),
                                         g.scalar(1.0f)})},
                  {}, name + ".frames");
  }
  const std::string extract =
      layer_norm(g, m, g.op("Transpose", {x}, {attr("perm", {0, 2, 1})}, "conv_features"), "feature_norm");
  // Frame f of a clip is real when f < its frames: [N,F] from a range over F.
  const std::string F = g.op("Cast",
                             {g.op("Squeeze", {g.op("Shape", {extract}, {attr("start", int64_t{1}), attr("end", int64_t{2})}),
                                               g.ints({0})})},
                             {attr("to", int64_t{static_cast<int64_t>(OnnxType::f32)})}, "frame_count");
  const std::string index = g.op("Range", {g.scalar(0.0f), F, g.scalar(1.0f)}, {}, "frame_index");
  const std::string keep = g.op("Less", {g.op("Unsqueeze", {index, g.ints({0})}), frames}, {}, "real_frames");
  const std::string weights = g.op("Unsqueeze", {to_f32(g, keep, "real_frames_f32"), g.ints({2})}, {}, "frame_weights");
  // Projected, padding frames zeroed before the position convolution (fairseq's order).
  std::string h = g.op("Mul", {linear(g, m, extract, "project"), weights}, {}, "projected");
  const int64_t k = m.shape.pos_kernel;
  std::string pos = g.op("Conv", {g.op("Transpose", {h}, {attr("perm", {0, 2, 1})}), pos_conv_weight(g, m),
                                  param(g, m, "pos_conv.bias")},
                         {attr("kernel_shape", std::vector<int64_t>{k}), attr("pads", {k / 2, k / 2}),
                          attr("group", m.shape.pos_groups)},
                         "pos_conv");
  // An even kernel padded k/2 both sides gives one frame too many: the last is dropped (HF's SamePad).
  if (k % 2 == 0) pos = g.op("Slice", {pos, g.ints({0}), g.ints({-1}), g.ints({2})}, {}, "pos_conv.same");
  pos = g.op("Transpose", {gelu(g, pos, "pos_conv.gelu")}, {attr("perm", {0, 2, 1})});
  h = g.op("Add", {h, pos}, {}, "with_positions");
  h = transformer(g, m, h, g.op("Unsqueeze", {keep, g.ints({1, 2})}, {}, "real_keys"));
  // The mean over each clip's real frames (W2VEncoder::embed).
  const std::string sum = g.op("ReduceSum", {g.op("Mul", {h, weights}), g.ints({1})}, {attr("keepdims", int64_t{0})});
  const std::string count =
      g.op("Max", {g.op("ReduceSum", {weights, g.ints({1})}, {attr("keepdims", int64_t{0})}), g.scalar(1.0f)});
  return {g.op("Div", {sum, count}), h, extract};
}

// ---- The graph of a model, its inputs and outputs.

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.9g", v);
  return b;
}

// The pixel normalisation's mean or std as /config holds it: one number, or
// one per channel (an imported model's), "[0.485, 0.456, 0.406]".
std::string pixel_numbers(const Model& m, const char* key, float scalar) {
  if (!m.config.contains("normalize") || !m.config["normalize"].contains(key) || !m.config["normalize"][key].is_array())
    return fmt(scalar);
  std::string out;
  for (const auto& v : m.config["normalize"][key]) out += (out.empty() ? "[" : ", ") + fmt(v.get<double>());
  return out + "]";
}

struct Built {
  io::OnnxModel model;
  std::string readme;
};

// The positions each emitter writes; a shape with other ones is refused.
void check_positions(const Model& m) {
  const models::PositionKind want = m.shape.kind == EncoderKind::vit    ? models::PositionKind::sincos
                                    : m.shape.kind == EncoderKind::text ? models::PositionKind::learned
                                                                        : models::PositionKind::conv;
  if (m.shape.is_transformer() && m.shape.position != want)
    throw UsageError("--to onnx writes " + models::kind_name(m.shape.kind) + " encoders with their preset's positions; " +
                     m.path + " (" + m.arch + ") has others");
}

Built build(const Model& m) {
  check_positions(m);
  Graph g;
  const OnnxDim batch{-1, "batch"};
  std::string features, hidden, extract, pooled;
  std::string readme;
  const std::string C = std::to_string(m.in_channels);
  switch (m.shape.kind) {
    case EncoderKind::convnet:
    case EncoderKind::resnet:
    case EncoderKind::vit: {
      const bool vt = m.shape.kind == EncoderKind::vit;
      const OnnxDim H = vt ? OnnxDim{m.height, ""} : OnnxDim{-1, "height"};
      const OnnxDim W = vt ? OnnxDim{m.width, ""} : OnnxDim{-1, "width"};
      g.model.inputs.push_back({"pixel_values", OnnxType::f32, {batch, {m.in_channels, ""}, H, W}});
      if (vt) {
        const Encoded o = vit(g, m, "pixel_values");
        features = o.features;
        hidden = o.hidden;
      } else {
        features = m.shape.kind == EncoderKind::resnet ? resnet(g, m, "pixel_values") : convnet(g, m, "pixel_values");
      }
      const std::string size =
          vt ? std::to_string(m.height) + ", " + std::to_string(m.width) : std::string("H, W (any size)");
      readme = "Input: `pixel_values`, float32 [N, " + C + ", " + size +
               "], channels first: pixels in [0, 1] then (x - " + pixel_numbers(m, "mean", m.mean) + ") / " +
               pixel_numbers(m, "std", m.stdev) +
               ", the normalisation it was trained with (ssl-embed computes (p / 255 - mean) / std from the "
               "file's uint8 [N, H, W, C] images; transpose to [N, C, H, W]).\n";
      break;
    }
    case EncoderKind::text: {
      const OnnxDim T{-1, "sequence"};
      g.model.inputs.push_back({"input_ids", OnnxType::i64, {batch, T}});
      g.model.inputs.push_back({"attention_mask", OnnxType::i64, {batch, T}});
      const Encoded o = text(g, m, "input_ids", "attention_mask");
      features = o.features;
      hidden = o.hidden;
      pooled = o.pooled;
      readme = "Inputs: `input_ids` and `attention_mask`, int64 [N, T], T at most " + std::to_string(m.max_len) +
               ". input_ids are the token ids ssl-import text writes to /tokens (the tokenizer beside "
               "this file, with its [CLS] first and [SEP] last), padded with any id; "
               "attention_mask is 1 for the real tokens (the first /lengths of each row) and 0 after them.\n";
      break;
    }
    case EncoderKind::w2v: {
      const OnnxDim S{-1, "samples"};
      g.model.inputs.push_back({"input_values", OnnxType::f32, {batch, S}});
      g.model.inputs.push_back({"attention_mask", OnnxType::i64, {batch, S}});
      const W2vOut o = w2v(g, m, "input_values", "attention_mask");
      features = o.features;
      hidden = o.hidden;
      extract = o.extract;
      readme = "Inputs: `input_values`, float32 [N, S], the waveform at " + std::to_string(m.sample_rate) +
               " Hz as ssl-import audio writes /audio (mono, zero-padded), not standardised: the graph "
               "standardises each clip over its real samples (zero mean, unit variance, 1e-7 under the root) as "
               "ssl-embed does; `attention_mask`, int64 [N, S], 1 for the real samples (the first /lengths of each "
               "row), 0 after them.\n";
      break;
    }
  }
  // The graph's outputs under their own names.
  const int64_t D = m.shape.is_transformer() ? m.shape.width : m.shape.widths.back();
  g.model.outputs.push_back({"features", OnnxType::f32, {batch, {D, ""}}});
  g.model.nodes.push_back({"Identity", "", {features}, {"features"}, {}});
  std::string pooling;
  if (m.shape.kind == EncoderKind::w2v)
    pooling = "the mean of last_hidden_state over each clip's real frames (ssl-embed's default; --frames is "
              "last_hidden_state)";
  else if (m.shape.kind == EncoderKind::text)
    pooling = "the mean of last_hidden_state over each row's real tokens (ssl-embed's default --pool mean; "
              "last_hidden_state[:, 0] is --pool cls)";
  else if (m.shape.kind == EncoderKind::vit)
    pooling = m.pool == "mean" ? "the mean of the patch tokens of last_hidden_state (this model's --pool mean)"
                               : "last_hidden_state[:, 0], the class token (this model's --pool cls)";
  else
    pooling = "the global average of the last feature map";
  readme += "\nOutput `features`: float32 [N, " + std::to_string(D) + "], what ssl-embed writes (--layer backbone): " +
            pooling + ".\n";
  if (!hidden.empty()) {
    const OnnxDim T = m.shape.kind == EncoderKind::text  ? OnnxDim{-1, "sequence"}
                      : m.shape.kind == EncoderKind::w2v ? OnnxDim{-1, "frames"}
                                                         : OnnxDim{1 + (m.height / m.shape.patch) * (m.width / m.shape.patch), ""};
    g.model.outputs.push_back({"last_hidden_state", OnnxType::f32, {batch, T, {D, ""}}});
    g.model.nodes.push_back({"Identity", "", {hidden}, {"last_hidden_state"}, {}});
    std::string which = "T";
    if (m.shape.kind == EncoderKind::vit) which = std::to_string(T.size);
    if (m.shape.kind == EncoderKind::w2v) which = "frames";
    std::string note;
    if (m.shape.kind == EncoderKind::vit) note = " (the class token first, then the patches row by row)";
    if (m.shape.kind == EncoderKind::w2v) {
      int64_t hop = 1;
      for (const auto& c : m.shape.conv) hop *= c.stride;
      note = " (a frame every " + std::to_string(hop) + " samples; padded frames are not meaningful)";
    }
    readme += "Output `last_hidden_state`: float32 [N, " + which + ", " + std::to_string(D) +
              "], every token after the last block" +
              (m.shape.norm == models::NormPlacement::pre ? " and the final layer norm" : "") + note + ".\n";
  }
  if (!pooled.empty()) {
    g.model.outputs.push_back({"pooler_output", OnnxType::f32, {batch, {D, ""}}});
    g.model.nodes.push_back({"Identity", "", {pooled}, {"pooler_output"}, {}});
    readme += "Output `pooler_output`: float32 [N, " + std::to_string(D) +
              "], BERT's pooler (dense + tanh on the first token): ssl-embed --pool pooler.\n";
  }
  if (!extract.empty()) {
    const int64_t C = m.shape.conv.back().channels;
    g.model.outputs.push_back({"extract_features", OnnxType::f32, {batch, {-1, "frames"}, {C, ""}}});
    g.model.nodes.push_back({"Identity", "", {extract}, {"extract_features"}, {}});
    readme += "Output `extract_features`: float32 [N, frames, " + std::to_string(C) +
              "], the convolutional features after their layer norm (Hugging Face's extract_features).\n";
  }
  g.model.producer_version = SSLKIT_VERSION;
  g.model.graph_name = "sslkit " + m.arch;
  g.model.metadata = {{"sslkit.arch", m.arch},
                      {"sslkit.method", m.method},
                      {"sslkit.encoder", models::to_json(m.shape).dump()}};
  if (!m.shape.is_transformer() || m.shape.kind == EncoderKind::vit) {
    g.model.metadata.push_back({"sslkit.pixel_mean", pixel_numbers(m, "mean", m.mean)});
    g.model.metadata.push_back({"sslkit.pixel_std", pixel_numbers(m, "std", m.stdev)});
  }
  if (m.shape.kind == EncoderKind::vit) g.model.metadata.push_back({"sslkit.pool", m.pool});
  if (m.shape.kind == EncoderKind::w2v) g.model.metadata.push_back({"sslkit.sample_rate", std::to_string(m.sample_rate)});
  Built b;
  b.model = std::move(g.model);
  b.readme = "ONNX graph of sslkit " + m.arch + " (" + m.method + "), opset " + std::to_string(io::kOnnxOpset) +
             ", IR version " + std::to_string(io::kOnnxIrVersion) + ", written by ssl-export --to onnx\n\n" + readme;
  return b;
}

std::string python_example(const Model& m) {
  std::string feed;
  switch (m.shape.kind) {
    case EncoderKind::text: feed = "{\"input_ids\": ids, \"attention_mask\": mask}"; break;
    case EncoderKind::w2v: feed = "{\"input_values\": wave, \"attention_mask\": mask}"; break;
    default: feed = "{\"pixel_values\": x}"; break;
  }
  return "\n```python\nimport onnxruntime as ort\n"
         "session = ort.InferenceSession(\"model.onnx\", providers=[\"CPUExecutionProvider\"])\n"
         "features = session.run([\"features\"], " +
         feed + ")[0]\n```\n";
}

}  // namespace

void export_onnx(const std::string& path, io::OutputDir& out) {
  const Model m(path);
  const Built b = build(m);
  m.check_all_taken({"mask_emb"});  // wav2vec's mask embedding replaces masked frames in pretraining only
  out.write("model.onnx", io::onnx_bytes(b.model));
  std::string readme = b.readme;
  if (m.shape.kind == EncoderKind::text && !m.tokenizer.empty())
    readme += "\nTokenizer: " + write_tokenizer_files(out, m.tokenizer, path) + " beside this file.\n";
  out.write("README.md", readme + python_example(m));
}

}  // namespace sslkit::train
