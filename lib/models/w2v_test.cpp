// w2v encoder: the conv stack's frame count, per-clip waveform
// standardisation by hand, shapes, the mean over real frames only, padding
// that reaches nothing, the positional convolution's gradients, and the
// Encoder view of a clip agreeing with embed().
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "core/error.hpp"
#include "mask/schemes.hpp"
#include "models/w2v.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"

using namespace sslkit;
using namespace sslkit::nn;

TEST_CASE("w2v: frames of the conv stack - 320 samples a frame - 400 the receptive field") {
  const models::W2VShape s = models::w2v_shape("w2v-mini");
  CHECK(models::w2v_frames(s, 16000) == 49);  // fairseq and Hugging Face: 49 frames for 1 s at 16 kHz
  CHECK(models::w2v_frames(s, 400) == 1);
  CHECK(models::w2v_frames(s, 399) == 0);
  CHECK(models::w2v_frames(s, 720) == 2);
  CHECK(models::w2v_frames(s, 719) == 1);
  CHECK(models::w2v_frames(s, 32000) == 99);
  CHECK_THROWS_AS(models::w2v_shape("w2v-huge"), UsageError);
  // ssl-mask draws span masks on the same grid.
  for (int n = 0; n < 40000; n += 37) REQUIRE(models::w2v_frames(s, n) == mask::span_frames(n));
}

TEST_CASE("w2v: waveforms standardised over each clip's real samples - padding stays zero") {
  Tensor w({2, 4}, DType::f32);
  const float v[8] = {1, 2, 3, 9, 5, 5, 0, 0};
  std::copy(v, v + 8, w.f32());
  const Tensor n = models::normalize_waveform(w, {3, 2});
  // Clip 0: mean 2, variance 2/3; the fourth sample is padding.
  const double sd = std::sqrt(2.0 / 3 + 1e-7);
  CHECK(n.f32()[0] == doctest::Approx(-1 / sd));
  CHECK(n.f32()[1] == doctest::Approx(0.0));
  CHECK(n.f32()[2] == doctest::Approx(1 / sd));
  CHECK(n.f32()[3] == 0.0f);
  // Clip 1: constant, so zero (not a division by zero).
  CHECK(n.f32()[4] == doctest::Approx(0.0));
  CHECK(n.f32()[6] == 0.0f);
}

TEST_CASE("w2v: clip features are the mean of the real frames - what lies past a clip's end reaches nothing") {
  init_engine();
  Rng rng(2);
  models::W2VEncoder e(models::parse_arch("w2v-tiny"), rng);
  e.set_training(false);
  NoGrad ng;
  const int64_t T = 4000, F = models::w2v_frames(e.shape(), T);
  Tensor a = random_tensor({2, T}, 5);
  for (int64_t i = 2400; i < T; ++i) a.f32()[i] = 0;  // clip 0: 2400 real samples
  Tensor b = a;
  b = random_tensor({2, T}, 5);
  for (int64_t i = 2400; i < T; ++i) b.f32()[i] = 0.5f * std::sin(0.1 * i);  // other padding content
  const std::vector<int32_t> lengths{2400, static_cast<int32_t>(T)};
  std::vector<int32_t> valid;
  const Tensor fa = e.frames(a, lengths, DType::f32, &valid).value();
  CHECK(fa.shape() == Shape{2, F, 64});
  CHECK(valid[0] == models::w2v_frames(e.shape(), 2400));
  CHECK(valid[1] == F);
  const Tensor fb = e.frames(b, lengths, DType::f32).value();
  for (int64_t f = 0; f < valid[0]; ++f)
    for (int64_t d = 0; d < 64; ++d) REQUIRE(fa.f32()[f * 64 + d] == doctest::Approx(fb.f32()[f * 64 + d]).epsilon(1e-5));
  const Tensor mean = e.embed(a, lengths, DType::f32).value();
  CHECK(mean.shape() == Shape{2, 64});
  for (int64_t d = 0; d < 64; ++d) {
    double s = 0;
    for (int64_t f = 0; f < valid[0]; ++f) s += fa.f32()[f * 64 + d];
    CHECK(mean.f32()[d] == doctest::Approx(s / valid[0]).epsilon(1e-4));
  }
  // The Encoder view: real samples end at the last nonzero one.
  const Tensor v = e.forward(Var(a.reshape({2, T, 1}))).value();
  for (int64_t d = 0; d < 64; ++d) CHECK(v.f32()[d] == doctest::Approx(mean.f32()[d]).epsilon(1e-4));
}

TEST_CASE("w2v: the positional convolution (grouped - same padding) has finite-difference gradients") {
  init_engine();
  // The w2v-tiny shape scaled down: 8 channels in 4 groups, kernel 5, padding 2.
  ConvParams p{{1}, {2}, {1}, 4};
  auto f = [&](const std::vector<Var>& v) { return gelu(conv1d(v[0], v[1], v[2], p)); };
  auto r = grad_check(f, {random_tensor({2, 7, 8}, 1), random_tensor({8, 2, 5}, 2), random_tensor({8}, 3)});
  INFO(r.worst);
  CHECK(r.max_error < 2e-3);
  CHECK(conv1d(Var(random_tensor({2, 7, 8}, 1)), Var(random_tensor({8, 2, 5}, 2)), Var(), p).shape() == Shape{2, 7, 8});
}

TEST_CASE("w2v: context gradients reach the features and the mask embedding") {
  init_engine();
  Rng rng(4);
  models::W2VEncoder e(models::parse_arch("w2v-tiny"), rng);
  const Var x(random_tensor({1, 6, 32}, 7), true);
  const std::vector<uint8_t> mask{0, 1, 1, 0, 0, 0};
  Var out = sum(e.context(x, mask, {0, 0, 0, 0, 0, 1}));
  out.backward();
  REQUIRE(x.grad().defined());
  // Masked frames were replaced: nothing flows back to them.
  for (int64_t d = 0; d < 32; ++d) {
    CHECK(x.grad().f32()[1 * 32 + d] == 0.0f);
    CHECK(x.grad().f32()[2 * 32 + d] == 0.0f);
  }
  // The padding frame was zeroed before the position convolution.
  for (int64_t d = 0; d < 32; ++d) CHECK(x.grad().f32()[5 * 32 + d] == 0.0f);
  double g = 0;
  for (int64_t d = 0; d < 64; ++d) g += std::fabs(e.mask_emb.grad().f32()[d]);
  CHECK(g > 0);
}

namespace {
// The position embedding of x [1,F,D] by a double loop, from the
// definition: Hugging Face pads k/2 frames on both sides, convolves (groups
// of D/g channels) and, for an even k, drops the last output frame; GELU.
std::vector<double> position_reference(const Tensor& x, const Tensor& w, const Tensor& b, int64_t k, int64_t g) {
  const int64_t F = x.dim(1), D = x.dim(2), per = D / g;
  std::vector<double> out(F * D);
  for (int64_t t = 0; t < F; ++t)
    for (int64_t o = 0; o < D; ++o) {
      double s = b.f32()[o];
      const int64_t group = o / per;
      for (int64_t c = 0; c < per; ++c)
        for (int64_t j = 0; j < k; ++j) {
          const int64_t src = t + j - k / 2;
          if (src >= 0 && src < F) s += w.f32()[(o * per + c) * k + j] * x.f32()[src * D + group * per + c];
        }
      out[t * D + o] = 0.5 * s * (1 + std::erf(s / std::sqrt(2.0)));
    }
  return out;
}
}  // namespace

TEST_CASE("w2v: the position convolution of an odd or even kernel (wav2vec2-base's 128) is Hugging Face's same padding") {
  init_engine();
  for (int64_t k : {3, 4, 5, 8}) {
    CAPTURE(k);
    Rng rng(3);
    models::W2VEncoder e(models::parse_arch("w2v-tiny:pos_kernel=" + std::to_string(k)), rng);
    const Tensor x = random_tensor({1, 9, 64}, 4);
    NoGrad ng;
    const Tensor y = e.position_embedding(Var(x)).value();
    REQUIRE(y.shape() == Shape{1, 9, 64});
    const Tensor* w = nullptr;
    const Tensor* b = nullptr;
    for (auto& [name, p] : e.named_parameters()) {
      if (name == "pos_conv.weight") w = &p->value();
      if (name == "pos_conv.bias") b = &p->value();
    }
    REQUIRE((w && b));
    // A nonzero bias, so that a frame shifted by one would show.
    for (int64_t i = 0; i < 64; ++i) const_cast<Tensor*>(b)->f32()[i] = 0.01f * static_cast<float>(i % 7);
    const Tensor y2 = e.position_embedding(Var(x)).value();
    const std::vector<double> want = position_reference(x, *w, *b, k, 4);
    double err = 0;
    for (int64_t i = 0; i < y2.numel(); ++i) err = std::max(err, std::fabs(y2.f32()[i] - want[i]));
    CHECK(err < 1e-5);
  }
}

TEST_CASE("w2v: an even position kernel has finite-difference gradients through the dropped frame") {
  init_engine();
  Rng rng(3);
  const models::W2VEncoder e(models::parse_arch("w2v-tiny:width=8,heads=2,pos_kernel=4,pos_groups=2"), rng);
  auto r = grad_check([&](const std::vector<Var>& v) { return e.position_embedding(v[0]); }, {random_tensor({2, 6, 8}, 1)});
  INFO(r.worst);
  CHECK(r.max_error < 2e-3);
}

TEST_CASE("w2v: a layer-norm extractor has a bias and a layer norm on every conv - the group one has neither") {
  init_engine();
  Rng rng(3);
  const models::W2VEncoder layer(
      models::parse_arch("w2v-tiny:feature_norm=layer,conv_bias=true,conv_channels=12/16,conv_kernels=6/4,conv_strides=4/3"),
      rng);
  std::map<std::string, Shape> names;
  for (auto& [name, p] : const_cast<models::W2VEncoder&>(layer).named_parameters()) names[name] = p->value().shape();
  CHECK(names.at("conv0.weight") == Shape{12, 1, 6});
  CHECK(names.at("conv0.bias") == Shape{12});
  CHECK(names.at("conv0.norm.weight") == Shape{12});
  CHECK(names.at("conv1.weight") == Shape{16, 12, 4});
  CHECK(names.at("conv1.bias") == Shape{16});
  CHECK(names.at("conv1.norm.bias") == Shape{16});
  CHECK(names.at("feature_norm.weight") == Shape{16});
  CHECK(names.at("project.weight") == Shape{64, 16});
  const models::W2VEncoder group(models::parse_arch("w2v-tiny"), rng);
  std::map<std::string, Shape> g;
  for (auto& [name, p] : const_cast<models::W2VEncoder&>(group).named_parameters()) g[name] = p->value().shape();
  CHECK(g.count("conv0.norm.weight") == 1);
  CHECK(g.count("conv1.norm.weight") == 0);
  CHECK(g.count("conv0.bias") == 0);

  // A conv bias reaches the features: the layer norm over channels that
  // follows does not cancel one channel's shift (a group norm would).
  const Tensor wave = random_tensor({1, 400}, 5);
  NoGrad ng;
  const Tensor a = layer.conv_features(Var(wave), DType::f32).value();
  for (auto& [name, p] : const_cast<models::W2VEncoder&>(layer).named_parameters())
    if (name == "conv1.bias") p->value().f32()[3] = 0.5f;
  const Tensor b = layer.conv_features(Var(wave), DType::f32).value();
  double diff = 0;
  for (int64_t i = 0; i < a.numel(); ++i) diff = std::max(diff, std::fabs(double(a.f32()[i]) - b.f32()[i]));
  CHECK(diff > 1e-3);
}

TEST_CASE("w2v: a position convolution under weight norm is g v / |v| per tap - with gradients for g and v") {
  init_engine();
  Rng rng(3);
  const std::string arch = "w2v-tiny:width=8,heads=2,pos_kernel=4,pos_groups=2";
  models::W2VEncoder normed(models::parse_arch(arch + ",pos_weight_norm=true"), rng);
  models::W2VEncoder plain(models::parse_arch(arch), rng);
  std::map<std::string, Var*> n, p;
  for (auto& [name, v] : normed.named_parameters()) n[name] = v;
  for (auto& [name, v] : plain.named_parameters()) p[name] = v;
  REQUIRE(n.count("pos_conv.weight_g") == 1);
  REQUIRE(n.count("pos_conv.weight") == 0);
  CHECK(n.at("pos_conv.weight_g")->shape() == Shape{1, 1, 4});
  CHECK(n.at("pos_conv.weight_v")->shape() == Shape{8, 4, 4});
  // g and v of our choosing, and W = g v / |v| folded by hand into the plain one.
  const Tensor g = random_tensor({1, 1, 4}, 7, 0.5f, 1.5f), v = random_tensor({8, 4, 4}, 8);
  *n.at("pos_conv.weight_g") = Var(g, true);
  *n.at("pos_conv.weight_v") = Var(v, true);
  Tensor w({8, 4, 4}, DType::f32);
  for (int64_t j = 0; j < 4; ++j) {
    double norm = 0;
    for (int64_t r = 0; r < 32; ++r) norm += double(v.f32()[r * 4 + j]) * v.f32()[r * 4 + j];
    for (int64_t r = 0; r < 32; ++r) w.f32()[r * 4 + j] = static_cast<float>(g.f32()[j] * v.f32()[r * 4 + j] / std::sqrt(norm));
  }
  *p.at("pos_conv.weight") = Var(w, true);
  *p.at("pos_conv.bias") = *n.at("pos_conv.bias");
  const Tensor x = random_tensor({2, 6, 8}, 1);
  {
    NoGrad ng;
    const Tensor a = normed.position_embedding(Var(x)).value(), b = plain.position_embedding(Var(x)).value();
    double err = 0;
    for (int64_t i = 0; i < a.numel(); ++i) err = std::max(err, std::fabs(double(a.f32()[i]) - b.f32()[i]));
    CHECK(err < 1e-6);
  }
  auto r = grad_check(
      [&](const std::vector<Var>& in) {
        *n.at("pos_conv.weight_g") = in[1];
        *n.at("pos_conv.weight_v") = in[2];
        return normed.position_embedding(in[0]);
      },
      {x, g, v});
  INFO(r.worst);
  CHECK(r.max_error < 2e-3);
}
