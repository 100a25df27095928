// layernorm over the last axis: forward against a double-precision loop,
// finite-difference gradients of input, gamma and beta, and the
// no-tape (inference primitive) path against the training one.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"

using namespace sslkit;
using namespace sslkit::nn;

namespace {

std::vector<double> layernorm_ref(const Tensor& x, const Tensor& g, const Tensor& b, double eps) {
  const int64_t C = x.dim(-1), R = x.numel() / C;
  auto xv = x.to_vector(), gv = g.to_vector(), bv = b.to_vector();
  std::vector<double> y(xv.size());
  for (int64_t r = 0; r < R; ++r) {
    double m = 0, v = 0;
    for (int64_t c = 0; c < C; ++c) m += xv[r * C + c];
    m /= C;
    for (int64_t c = 0; c < C; ++c) v += (xv[r * C + c] - m) * (xv[r * C + c] - m);
    v /= C;  // biased, as PyTorch's layer_norm
    for (int64_t c = 0; c < C; ++c) y[r * C + c] = (xv[r * C + c] - m) / std::sqrt(v + eps) * gv[c] + bv[c];
  }
  return y;
}

}  // namespace

TEST_CASE("layernorm forward matches a double loop on 2-D and 3-D inputs") {
  init_engine();
  for (const Shape& s : {Shape{4, 6}, Shape{2, 3, 5}}) {
    const int64_t C = s.back();
    Tensor x = random_tensor(s, 1, -2, 3), g = random_tensor({C}, 2, 0.5, 1.5), b = random_tensor({C}, 3);
    for (float eps : {1e-5f, 1e-1f}) {
      auto want = layernorm_ref(x, g, b, eps);
      NoGrad ng;
      Var y = layernorm(Var(x), Var(g), Var(b), eps);
      REQUIRE(y.shape() == s);
      auto got = y.value().to_vector();
      double err = 0;
      for (size_t i = 0; i < got.size(); ++i) err = std::max(err, std::fabs(got[i] - want[i]));
      CHECK(err < 1e-5);
    }
  }
}

TEST_CASE("layernorm training and inference primitives agree") {
  init_engine();
  Tensor x = random_tensor({3, 7}, 4), g = random_tensor({7}, 5), b = random_tensor({7}, 6);
  Var xv(x, true);
  auto train = layernorm(xv, Var(g), Var(b)).value().to_vector();
  NoGrad ng;
  auto infer = layernorm(Var(x), Var(g), Var(b)).value().to_vector();
  for (size_t i = 0; i < train.size(); ++i) CHECK(train[i] == doctest::Approx(infer[i]).epsilon(1e-6));
}

TEST_CASE("layernorm gradients of input gamma and beta match finite differences") {
  init_engine();
  double worst = 0;
  for (const Shape& s : {Shape{3, 5}, Shape{2, 3, 4}}) {
    const int64_t C = s.back();
    // Spread inputs keep the variance well away from eps; eps 1e-3 keeps the
    // second-order term small against f32 rounding of the normalised rows.
    auto r = grad_check([](const std::vector<Var>& v) { return layernorm(v[0], v[1], v[2]); },
                        {random_tensor(s, 7, -2, 2), random_tensor({C}, 8, 0.5, 1.5), random_tensor({C}, 9)}, 1e-3);
    INFO(r.worst);
    CHECK(r.max_error < 2e-3);
    worst = std::max(worst, r.max_error);
  }
  MESSAGE("layernorm max gradient-check error " << worst);
}

TEST_CASE("layernorm gradient flows when only the input requires it") {
  init_engine();
  Tensor x = random_tensor({2, 4}, 10);
  Var xv(x, true), g(Tensor::full({4}, 1.f)), b(Tensor::zeros({4}));
  Var y = layernorm(xv, g, b);
  y.backward(Tensor::full({2, 4}, 1.f));
  // sum over a row of a normalised row with unit gamma is constant: zero gradient.
  for (float v : xv.grad().to_vector()) CHECK(std::fabs(v) < 1e-5);
  CHECK(!g.grad().defined());
}

TEST_CASE("layernorm rejects parameters of the wrong width") {
  init_engine();
  CHECK_THROWS_AS(layernorm(Var(random_tensor({2, 4}, 1)), Var(Tensor::full({3}, 1.f)), Var(Tensor::zeros({3}))),
                  Error);
}

TEST_CASE("layernorm in bf16 stays within bf16 tolerance of f32") {
  init_engine();
  if (!cpu_supports_bf16()) {
    MESSAGE("bf16 not checked: oneDNN has no bf16 kernels for this CPU (" << cpu_isa_name() << ")");
    return;
  }
  Tensor x = random_tensor({8, 32}, 11), g = random_tensor({32}, 12, 0.5, 1.5), b = random_tensor({32}, 13);
  auto want = layernorm_ref(x, g, b, 1e-5);
  NoGrad ng;
  auto got = layernorm(Var(x.to(DType::bf16)), Var(g), Var(b)).value().to_vector();
  double err = 0;
  for (size_t i = 0; i < got.size(); ++i) err = std::max(err, std::fabs(got[i] - want[i]));
  CHECK(err < 0.05);
}
