// MAE: a few steps on one batch lower the reconstruction loss (bf16 too
// where the CPU has it), the loss needs a ViT and consistent masks, and the
// masked-patch count of a batch is what lib/mask's patch scheme gives.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "core/error.hpp"
#include "mask/schemes.hpp"
#include "methods/mae_decoder.hpp"
#include "methods/registry.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/optim.hpp"

using namespace sslkit;

namespace {

methods::Batch mae_batch(int64_t n, nn::DType dt, uint64_t seed) {
  methods::Batch b;
  b.views.push_back(nn::Var(nn::random_tensor({n, 16, 16, 1}, seed).to(dt)));
  Rng rng(seed);
  for (int64_t i = 0; i < n; ++i) {
    const auto m = mask::mask_patches(16, 0.75, rng);
    b.patch_mask.insert(b.patch_mask.end(), m.begin(), m.end());
  }
  return b;
}

std::unique_ptr<methods::Method> tiny_mae(bool norm_pix = true) {
  methods::MethodParams p;
  p.arch = "vit-mini";
  p.in_channels = 1;
  p.norm_pix = norm_pix;
  Rng rng(3);
  return methods::make_method("mae", p, rng);
}

}  // namespace

TEST_CASE("mae: steps on one batch lower the reconstruction loss") {
  nn::init_engine();
  auto m = tiny_mae();
  m->set_training(true);
  const methods::Batch b = mae_batch(8, nn::DType::f32, 4);
  nn::AdamW opt(nn::decay_groups(*m, 0.0), 1e-3, 0.9, 0.95);
  const float first = m->loss(b).value().item();
  for (int s = 0; s < 15; ++s) {
    nn::Var l = m->loss(b);
    for (auto* q : m->parameters()) q->zero_grad();
    l.backward();
    opt.step();
  }
  CHECK(m->loss(b).value().item() < 0.8f * first);
  if (nn::cpu_supports_bf16()) {
    nn::NoGrad ng;
    const methods::Batch h = mae_batch(8, nn::DType::bf16, 4);
    CHECK(m->loss(h).value().item() == doctest::Approx(m->loss(b).value().item()).epsilon(0.05));
  }
}

TEST_CASE("mae: needs a ViT - a mask for every patch - and the same kept count in every image") {
  nn::init_engine();
  methods::MethodParams p;
  p.arch = "convnet-s";
  Rng rng(1);
  CHECK_THROWS_AS(methods::make_method("mae", p, rng), UsageError);
  auto m = tiny_mae();
  methods::Batch b = mae_batch(2, nn::DType::f32, 5);
  b.patch_mask.pop_back();
  CHECK_THROWS_AS(m->loss(b), Error);
  b = mae_batch(2, nn::DType::f32, 5);
  for (int l = 0; l < 16; ++l) b.patch_mask[l] = l < 2;  // image 0 keeps 14, image 1 keeps 4
  CHECK_THROWS_AS(m->loss(b), Error);
  CHECK(methods::method_info("mae").mask_ratio == 0.75);
}

TEST_CASE("mae: reconstructions come back in image space - norm-pix predictions scaled by each true patch") {
  nn::init_engine();
  // Same seed, same weights: the two differ only in the targets they learn.
  auto raw = tiny_mae(false), normed = tiny_mae(true);
  CHECK(raw->patch_size() == 4);
  const methods::Batch b = mae_batch(2, nn::DType::f32, 6);
  const nn::Tensor& x = b.views[0].value();
  const nn::Tensor r = raw->reconstruct(x, b.patch_mask), q = normed->reconstruct(x, b.patch_mask);
  REQUIRE(r.shape() == x.shape());
  // Patch (i, j) of image n: pixels rows 4i..4i+3, columns 4j..4j+3.
  for (int n = 0; n < 2; ++n)
    for (int l = 0; l < 16; ++l) {
      const int i = l / 4, j = l % 4;
      std::vector<float> truth;
      for (int a = 0; a < 4; ++a)
        for (int c = 0; c < 4; ++c) truth.push_back(x.f32()[(n * 16 + 4 * i + a) * 16 + 4 * j + c]);
      double mean = 0, var = 0;
      for (float v : truth) mean += v / 16;
      for (float v : truth) var += (v - mean) * (v - mean) / 15;  // unbiased, as MAE
      const double sd = std::sqrt(var + 1e-6);
      for (int a = 0; a < 4; ++a)
        for (int c = 0; c < 4; ++c) {
          const int64_t k = (n * 16 + 4 * i + a) * 16 + 4 * j + c;
          CHECK(q.f32()[k] == doctest::Approx(r.f32()[k] * sd + mean).epsilon(1e-4));
        }
    }
  // Not a model with a decoder: no reconstructions.
  methods::MethodParams p;
  p.arch = "convnet-s";
  Rng rng(2);
  auto simclr = methods::make_method("simclr", p, rng);
  CHECK(simclr->patch_size() == 0);
  CHECK_THROWS_AS(simclr->reconstruct(x, b.patch_mask), Error);
}

TEST_CASE("mae: the decoder's shape is data - its defaults are the decoder MAE always had here") {
  std::map<std::string, nn::Shape> shapes;
  auto decoder = [&](const nlohmann::ordered_json& own) {
    methods::MethodParams p;
    p.arch = "vit-mini:depth=1";
    p.in_channels = 3;
    p.own = own;
    Rng rng(3);
    auto m = methods::make_method("mae", p, rng);
    shapes.clear();
    for (auto& [n, q] : m->named_parameters()) shapes[n] = q->shape();
    return m;
  };
  decoder(nlohmann::ordered_json::object());
  CHECK(shapes.at("decoder_embed.weight") == nn::Shape{128, 128});
  CHECK(shapes.at("decoder_block1.fc1.weight") == nn::Shape{512, 128});
  CHECK(shapes.count("decoder_block2.fc1.weight") == 0);
  methods::MaeDecoder d{20, 3, 2, 36};
  nlohmann::ordered_json own;
  methods::set_mae_decoder(d, own);
  auto m = decoder(own);
  CHECK(shapes.at("decoder_embed.weight") == nn::Shape{20, 128});
  CHECK(shapes.at("mask_token") == nn::Shape{1, 20});
  CHECK(shapes.at("decoder_block2.fc1.weight") == nn::Shape{36, 20});
  CHECK(shapes.at("decoder_pred.weight") == nn::Shape{4 * 4 * 3, 20});
  CHECK(methods::mae_decoder(own).heads == 2);
  // It still trains: a loss on a batch of 16x16 RGB images.
  methods::Batch b;
  b.views.push_back(nn::Var(nn::random_tensor({2, 16, 16, 3}, 5)));
  Rng rng(1);
  for (int i = 0; i < 2; ++i) {
    const auto mask = mask::mask_patches(16, 0.75, rng);
    b.patch_mask.insert(b.patch_mask.end(), mask.begin(), mask.end());
  }
  CHECK(std::isfinite(m->loss(b).value().item()));
  own["decoder_heads"] = 3;  // 3 does not divide 20
  CHECK_THROWS_AS(decoder(own), UsageError);
}
