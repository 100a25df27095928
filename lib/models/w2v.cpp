#include "models/w2v.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "models/pooling.hpp"
#include "nn/ops.hpp"

namespace sslkit::models {

namespace {

// N(0, std^2) by Box-Muller: fairseq initialises the feature convolutions
// with Kaiming normal and the position convolution with N(0, 4/(k*D)).
nn::Tensor normal_tensor(const nn::Shape& shape, double stdev, Rng& rng) {
  nn::Tensor t(shape, nn::DType::f32);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double u1 = std::max(rng.uniform(), 1e-12), u2 = rng.uniform();
    t.f32()[i] = static_cast<float>(stdev * std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2));
  }
  return t;
}

nn::Var filled(int64_t n, float v) {
  nn::Tensor t({n}, nn::DType::f32);
  std::fill(t.f32(), t.f32() + n, v);
  return nn::Var(t, true);
}

}  // namespace

EncoderShape w2v_shape(const std::string& arch) {
  if (!is_audio_arch(arch)) throw UsageError("an audio --arch is " + arch_names_for("audio") + ", not '" + arch + "'");
  return parse_arch(arch);
}

int64_t w2v_frames(const EncoderShape& s, int64_t samples) {
  int64_t t = samples;
  for (const auto& c : s.conv) {
    if (t < c.kernel) return 0;
    t = (t - c.kernel) / c.stride + 1;
  }
  return t;
}

// Samples in the receptive field of one frame.
static int64_t w2v_receptive_field(const EncoderShape& s) {
  int64_t field = 1, jump = 1;
  for (const auto& c : s.conv) {
    field += (c.kernel - 1) * jump;
    jump *= c.stride;
  }
  return field;
}

nn::Tensor normalize_waveform(const nn::Tensor& wave, const std::vector<int32_t>& lengths) {
  SSLKIT_CHECK(wave.rank() == 2 && wave.dtype() == nn::DType::f32, "waveforms are f32 [B,T]");
  const int64_t B = wave.dim(0), T = wave.dim(1);
  SSLKIT_CHECK(static_cast<int64_t>(lengths.size()) == B, "one length per clip");
  nn::Tensor out = nn::Tensor::zeros({B, T});
  for (int64_t b = 0; b < B; ++b) {
    const int64_t n = std::clamp<int64_t>(lengths[b], 0, T);
    const float* x = wave.f32() + b * T;
    double mean = 0, sq = 0;
    for (int64_t i = 0; i < n; ++i) mean += x[i];
    mean /= std::max<int64_t>(n, 1);
    for (int64_t i = 0; i < n; ++i) sq += (x[i] - mean) * (x[i] - mean);
    // Hugging Face's 1e-7 under the square root: silence stays silence.
    const double inv = 1.0 / std::sqrt(sq / std::max<int64_t>(n, 1) + 1e-7);
    for (int64_t i = 0; i < n; ++i) out.f32()[b * T + i] = static_cast<float>((x[i] - mean) * inv);
  }
  return out;
}

namespace {
const EncoderShape& checked_w2v(const EncoderShape& s) {
  SSLKIT_CHECK(s.kind == EncoderKind::w2v && !s.conv.empty(), "a w2v encoder built from a " + kind_name(s.kind) + " shape");
  return s;
}
}  // namespace

W2VEncoder::W2VEncoder(const EncoderShape& shape, Rng& rng)
    : shape_(checked_w2v(shape)),
      feature_norm(shape_.conv.back().channels, static_cast<float>(shape_.eps)),
      project_(shape_.conv.back().channels, shape_.width, rng) {
  const int64_t C = shape_.conv[0].channels, D = shape_.width, g = shape_.pos_groups, k = shape_.pos_kernel;
  if (D % g != 0 || k < 1) throw UsageError("the position convolution needs a kernel and groups dividing the width");
  int64_t in = 1;
  for (const auto& c : shape_.conv) {
    convs_.emplace_back(normal_tensor({c.channels, in, c.kernel}, std::sqrt(2.0 / static_cast<double>(in * c.kernel)), rng), true);
    if (shape_.conv_bias) conv_biases_.push_back(filled(c.channels, 0.0f));
    // PyTorch's nn.LayerNorm default epsilon, which Hugging Face's layer-norm
    // extractor keeps (its layer_norm_eps is for the other norms).
    if (shape_.feature_norm == "layer") conv_norms_.emplace_back(c.channels, 1e-5f);
    in = c.channels;
  }
  if (shape_.feature_norm == "group") {
    gn_weight_ = filled(C, 1.0f);
    gn_bias_ = filled(C, 0.0f);
  }
  pos_weight_ = nn::Var(normal_tensor({D, D / g, k}, std::sqrt(4.0 / static_cast<double>(k * D)), rng), true);
  if (shape_.pos_weight_norm) {
    // g = |v| per tap: the weight starts as the one drawn (fairseq's init).
    nn::Tensor norms = nn::Tensor::zeros({1, 1, k});
    const nn::Tensor& v = pos_weight_.value();
    for (int64_t i = 0; i < v.numel(); ++i) norms.f32()[i % k] += v.f32()[i] * v.f32()[i];
    for (int64_t j = 0; j < k; ++j) norms.f32()[j] = std::sqrt(norms.f32()[j]);
    pos_g_ = nn::Var(norms, true);
  }
  pos_bias_ = filled(D, 0.0f);
  // fairseq: mask_emb uniform in [0, 1).
  nn::Tensor m({D}, nn::DType::f32);
  for (int64_t i = 0; i < D; ++i) m.f32()[i] = static_cast<float>(rng.uniform());
  mask_emb = nn::Var(m, true);
  stack_ = TransformerStack(shape_, rng);
}

nn::Var W2VEncoder::conv_features(const nn::Var& wave, nn::DType dtype, float grad_mult) const {
  const nn::Shape s = wave.shape();
  if (!(s.size() == 2 || (s.size() == 3 && s[2] == 1)))
    throw Error("w2v", "expects waveforms [B,T] or [B,T,1], given " + nn::shape_str(s));
  nn::Var x = nn::cast(nn::reshape(wave, {s[0], s[1], 1}), dtype);
  if (w2v_frames(shape_, s[1]) < 1)
    throw Error("w2v", "clips of " + std::to_string(s[1]) + " samples are shorter than one frame (" +
                           std::to_string(w2v_receptive_field(shape_)) + " samples)");
  for (size_t i = 0; i < convs_.size(); ++i) {
    const int64_t st = shape_.conv[i].stride;
    x = nn::conv1d(x, convs_[i], shape_.conv_bias ? conv_biases_[i] : nn::Var(), {{st}, {0}, {1}, 1});
    // The first layer's group norm has one group per channel: each channel
    // normalised over time (fairseq's extractor_mode "default"). The layer
    // norm normalises each frame over channels (extractor_mode "layer_norm").
    if (!conv_norms_.empty()) x = conv_norms_[i].forward(x);
    else if (i == 0) x = nn::group_norm(x, shape_.conv[0].channels, gn_weight_, gn_bias_);
    x = nn::gelu(x);
  }
  x = nn::cast(x, nn::DType::f32);
  return grad_mult != 1.0f ? nn::scale_grad(x, grad_mult) : x;
}

nn::Var W2VEncoder::context(const nn::Var& features, const std::vector<uint8_t>& mask,
                            const std::vector<uint8_t>& padding) const {
  nn::Var x = project_.forward(features);
  if (!mask.empty()) x = nn::replace_masked(x, mask, mask_emb);
  // Padding frames are zeroed before the position convolution, as fairseq
  // does, so what lies past a clip's end does not leak into its last frames.
  if (!padding.empty()) x = nn::replace_masked(x, padding, nn::Var(nn::Tensor::zeros({shape_.width})));
  return stack_.forward(nn::add(x, position_embedding(x)), padding);
}

nn::Var W2VEncoder::pos_conv_weight() const {
  if (!shape_.pos_weight_norm) return pos_weight_;
  const nn::Shape s = pos_weight_.shape();
  const int64_t k = s[2], rows = s[0] * s[1];
  // Each tap's column of v [rows, k] normalised, as rows of v^T [k, rows],
  // then scaled by its g (g [k,1] x ones [1,rows] spreads it along the row).
  const nn::Var direction = nn::l2_normalize(nn::transpose(nn::reshape(pos_weight_, {rows, k}), 0, 1));
  const nn::Var spread = nn::matmul(nn::reshape(pos_g_, {k, 1}), nn::Var(nn::Tensor::full({1, rows}, 1.0f)));
  return nn::reshape(nn::transpose(nn::mul(direction, spread), 0, 1), s);
}

nn::Var W2VEncoder::position_embedding(const nn::Var& x) const {
  const int64_t k = shape_.pos_kernel;
  nn::Var pos = nn::conv1d(x, pos_conv_weight(), pos_bias_, {{1}, {k / 2}, {1}, shape_.pos_groups});
  if (k % 2 == 0) {
    // An even kernel padded k/2 on both sides gives one frame too many:
    // drop the last, as Hugging Face's Wav2Vec2SamePadLayer does (wav2vec2-base: k = 128).
    const int64_t B = pos.shape()[0], F = pos.shape()[1] - 1, D = pos.shape()[2];
    std::vector<int32_t> rows;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t f = 0; f < F; ++f) rows.push_back(static_cast<int32_t>(b * (F + 1) + f));
    pos = nn::reshape(nn::embedding(nn::reshape(pos, {B * (F + 1), D}), rows), {B, F, D});
  }
  return nn::gelu(pos);
}

std::vector<int32_t> W2VEncoder::valid_frames(const std::vector<int32_t>& lengths) const {
  std::vector<int32_t> v;
  for (int32_t n : lengths) v.push_back(static_cast<int32_t>(w2v_frames(shape_, n)));
  return v;
}

nn::Var W2VEncoder::frames(const nn::Tensor& wave, const std::vector<int32_t>& lengths, nn::DType dtype,
                           std::vector<int32_t>* valid) const {
  const int64_t B = wave.dim(0), F = w2v_frames(shape_, wave.dim(1));
  std::vector<int32_t> v = valid_frames(lengths);
  std::vector<uint8_t> padding(static_cast<size_t>(B * F), 0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t f = v[b]; f < F; ++f) padding[b * F + f] = 1;
  nn::Var h = context(norm_features(conv_features(nn::Var(normalize_waveform(wave, lengths)), dtype)), {}, padding);
  if (valid) *valid = v;
  return h;
}

nn::Var W2VEncoder::embed(const nn::Tensor& wave, const std::vector<int32_t>& lengths, nn::DType dtype) const {
  std::vector<int32_t> v;
  nn::Var h = frames(wave, lengths, dtype, &v);
  const int64_t B = h.shape()[0], F = h.shape()[1], D = h.shape()[2];
  return sequence_mean(nn::reshape(h, {B * F, D}), v, F);
}

nn::Var W2VEncoder::forward(const nn::Var& x) {
  const nn::Shape s = x.shape();
  SSLKIT_CHECK(s.size() == 3 && s[2] == 1, "audio views are [B,T,1]");
  nn::Tensor wave = nn::reshape(x, {s[0], s[1]}).value().to(nn::DType::f32);
  // A view's real samples end at its last nonzero one: clips are padded
  // with exact zeros (ssl-import, and the audio augmentations keep padding
  // silent), so this agrees with embed() on a file's stored lengths.
  std::vector<int32_t> lengths(static_cast<size_t>(s[0]));
  for (int64_t b = 0; b < s[0]; ++b) {
    int64_t n = s[1];
    while (n > 0 && wave.f32()[b * s[1] + n - 1] == 0.0f) --n;
    lengths[b] = static_cast<int32_t>(n);
  }
  return embed(wave, lengths, x.value().dtype());
}

void W2VEncoder::visit(nn::ModuleVisitor& v) {
  for (size_t i = 0; i < convs_.size(); ++i) {
    const std::string name = "conv" + std::to_string(i);
    v.param(name + ".weight", convs_[i]);
    if (!conv_biases_.empty()) v.param(name + ".bias", conv_biases_[i]);
    if (!conv_norms_.empty()) v.module(name + ".norm", conv_norms_[i]);
  }
  if (conv_norms_.empty()) {
    v.param("conv0.norm.weight", gn_weight_);
    v.param("conv0.norm.bias", gn_bias_);
  }
  v.module("feature_norm", feature_norm);
  v.module("project", project_);
  v.param("mask_emb", mask_emb);
  if (shape_.pos_weight_norm) {
    v.param("pos_conv.weight_g", pos_g_);
    v.param("pos_conv.weight_v", pos_weight_);
  } else {
    v.param("pos_conv.weight", pos_weight_);
  }
  v.param("pos_conv.bias", pos_bias_);
  stack_.visit(v);
}

}  // namespace sslkit::models
