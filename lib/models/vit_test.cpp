// ViT: parameter count, class-token features on any grid the patch
// divides, MAE's sine-cosine position table, forward_visible against
// forward with every patch kept, and hidden patches reaching nothing.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "core/error.hpp"
#include "models/vit.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"

using namespace sslkit;
using namespace sslkit::nn;

TEST_CASE("vit-mini: parameter count and class-token features on any grid the patch divides") {
  init_engine();
  Rng rng(1);
  models::ViT v(models::parse_arch("vit-mini"), 1, rng);
  // patch conv 2048 + 128, class token 128, 6 blocks of 198272 (attention 4 x 16512, two layernorms 512,
  // MLP 65664 + 65664), final norm 256: timm's ViT with these settings, its fixed position table aside.
  CHECK(v.parameter_count() == 1192192);
  NoGrad ng;
  CHECK(v.forward(Var(random_tensor({2, 28, 28, 1}, 2))).shape() == Shape{2, 128});
  CHECK(v.forward(Var(random_tensor({2, 32, 32, 1}, 3))).shape() == Shape{2, 128});
  CHECK_THROWS_AS(v.forward(Var(random_tensor({2, 30, 30, 1}, 4))), UsageError);
}

TEST_CASE("sincos_2d is MAE's table: column index in the first half - row in the second - sin then cos") {
  const Tensor t = models::sincos_2d(8, 3, 4);
  REQUIRE(t.shape() == Shape{12, 8});
  const float* r = t.f32() + (1 * 4 + 2) * 8;  // grid row 1, column 2
  const double want[8] = {std::sin(2.0), std::sin(0.02), std::cos(2.0), std::cos(0.02),
                          std::sin(1.0), std::sin(0.01), std::cos(1.0), std::cos(0.01)};
  for (int k = 0; k < 8; ++k) CHECK(r[k] == doctest::Approx(want[k]).epsilon(1e-6));
}

TEST_CASE("vit: every patch through forward_visible gives forward's class token - hidden patches reach nothing") {
  init_engine();
  Rng rng(5);
  models::ViT v(models::parse_arch("vit-mini"), 1, rng);
  NoGrad ng;
  Tensor x = random_tensor({2, 16, 16, 1}, 6);
  std::vector<int32_t> all;
  for (int n = 0; n < 2; ++n)
    for (int l = 0; l < 16; ++l) all.push_back(l);
  const Tensor full = v.forward_visible(Var(x), all, 16).value();
  const Tensor cls = v.forward(Var(x)).value();
  REQUIRE(full.shape() == Shape{2, 17, 128});
  for (int n = 0; n < 2; ++n)
    for (int d = 0; d < 128; ++d) CHECK(full.f32()[(n * 17) * 128 + d] == doctest::Approx(cls.f32()[n * 128 + d]).epsilon(1e-5));
  // Keep patches 1, 5, 6, 10 of each image; changing a hidden patch (patch 0: rows 0-3, columns 0-3) changes nothing.
  const std::vector<int32_t> keep = {1, 5, 6, 10, 1, 5, 6, 10};
  const Tensor a = v.forward_visible(Var(x), keep, 4).value();
  Tensor y = x.clone();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) y.f32()[i * 16 + j] += 3.0f;
  const Tensor b = v.forward_visible(Var(y), keep, 4).value();
  double diff = 0;
  for (int64_t i = 0; i < a.numel(); ++i) diff = std::max(diff, static_cast<double>(std::fabs(a.f32()[i] - b.f32()[i])));
  CHECK(diff == 0.0);
  // Changing a kept patch (patch 1: columns 4-7) does change the output.
  Tensor z = x.clone();
  z.f32()[4] += 3.0f;
  const Tensor c = v.forward_visible(Var(z), keep, 4).value();
  diff = 0;
  for (int64_t i = 0; i < a.numel(); ++i) diff = std::max(diff, static_cast<double>(std::fabs(a.f32()[i] - c.f32()[i])));
  CHECK(diff > 1e-4);
}

TEST_CASE("vit: mean pooling is the average of the normed patch tokens - not the class token") {
  init_engine();
  Rng rng(7);
  models::ViT v(models::parse_arch("vit-mini"), 1, rng);
  auto* ng = new NoGrad;
  Tensor x = random_tensor({2, 16, 16, 1}, 8);
  std::vector<int32_t> all;
  for (int n = 0; n < 2; ++n)
    for (int l = 0; l < 16; ++l) all.push_back(l);
  const Tensor tokens = v.forward_visible(Var(x), all, 16).value();  // [2, 17, 128]
  v.set_pool("mean");
  const Tensor mean = v.forward(Var(x)).value();
  REQUIRE(mean.shape() == Shape{2, 128});
  for (int n = 0; n < 2; ++n)
    for (int d = 0; d < 128; ++d) {
      double s = 0;
      for (int l = 1; l <= 16; ++l) s += tokens.f32()[(n * 17 + l) * 128 + d];
      CHECK(mean.f32()[n * 128 + d] == doctest::Approx(s / 16).epsilon(1e-4));
    }
  CHECK_THROWS_AS(v.set_pool("max"), UsageError);
  delete ng;
  // Pooling is a choice of features: gradients reach the patch embedding either way.
  v.set_pool("mean");
  const GradCheck g = grad_check([&](const std::vector<Var>& in) { return v.forward(in[0]); }, {random_tensor({1, 8, 8, 1}, 9)});
  CHECK_MESSAGE(g.max_error < 2e-2, g.worst);
}

TEST_CASE("vit_layer_groups: MAE's layer-wise decay - patch embedding deepest - no decay on norms and the class token") {
  init_engine();
  Rng rng(9);
  models::ViT v(models::parse_arch("vit-mini"), 1, rng);  // depth 6: layers 0..7
  const auto groups = models::vit_layer_groups(v, 0.05, 0.5);
  REQUIRE(groups.size() == 16);
  size_t params = 0;
  std::map<const Var*, std::pair<double, double>> where;  // scale, weight decay
  for (const auto& g : groups)
    for (Var* p : g.params) where[p] = {g.lr_scale, g.weight_decay}, ++params;
  const auto named = v.named_parameters();
  CHECK(params == named.size());
  for (auto& kv : named) {  // no structured binding: clang 14 cannot capture one in CAPTURE/INFO
    auto& name = kv.first;
    auto& p = kv.second;
    CAPTURE(name);
    const auto [scale, wd] = where.at(p);
    if (name.rfind("patch_embed", 0) == 0 || name == "cls_token") CHECK(scale == doctest::Approx(std::pow(0.5, 7)));
    else if (name.rfind("block0.", 0) == 0) CHECK(scale == doctest::Approx(std::pow(0.5, 6)));
    else if (name.rfind("block5.", 0) == 0) CHECK(scale == doctest::Approx(0.5));
    else if (name.rfind("norm.", 0) == 0) CHECK(scale == doctest::Approx(1.0));
    CHECK(wd == (p->value().rank() == 1 || name == "cls_token" ? 0.0 : 0.05));
  }
}
