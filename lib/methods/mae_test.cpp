// MAE: a few steps on one batch lower the reconstruction loss (bf16 too
// where the CPU has it), the loss needs a ViT and consistent masks, and the
// masked-patch count of a batch is what lib/mask's patch scheme gives.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "mask/schemes.hpp"
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

std::unique_ptr<methods::Method> tiny_mae() {
  methods::MethodParams p;
  p.arch = "vit-mini";
  p.in_channels = 1;
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
