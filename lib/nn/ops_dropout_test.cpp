// dropout: the kept fraction and scale, the identity in eval and at p 0,
// the same mask from the same seed, and gradients that follow the mask.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"

using namespace sslkit;
using namespace sslkit::nn;

TEST_CASE("dropout keeps about 1-p of the values scaled by 1 over 1-p") {
  Rng rng(7);
  Tensor x = random_tensor({20000}, 1, 0.5f, 1.5f);
  auto y = dropout(Var(x), 0.25f, true, rng).value().to_vector();
  int kept = 0;
  double worst = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] == 0) continue;
    ++kept;
    worst = std::max(worst, std::fabs(y[i] - x.f32()[i] / 0.75));
  }
  // 15000 expected, binomial sd about 61.
  CHECK(std::abs(kept - 15000) < 300);
  CHECK(worst < 1e-6);
}

TEST_CASE("dropout is the identity in eval and at p 0 and drops everything at p 1") {
  Rng rng(1);
  Tensor x = random_tensor({100}, 2);
  Var xv(x);
  CHECK(dropout(xv, 0.5f, false, rng).value().raw() == x.raw());
  CHECK(dropout(xv, 0.0f, true, rng).value().raw() == x.raw());
  for (float v : dropout(xv, 1.0f, true, rng).value().to_vector()) CHECK(v == 0.f);
  CHECK_THROWS_AS(dropout(xv, 1.5f, true, rng), Error);
  CHECK_THROWS_AS(dropout(xv, -0.1f, true, rng), Error);
}

TEST_CASE("dropout masks repeat for the same seed and differ between draws") {
  Tensor x = Tensor::full({256}, 1.f);
  Rng r1(42), r2(42);
  auto a = dropout(Var(x), 0.5f, true, r1).value().to_vector();
  auto b = dropout(Var(x), 0.5f, true, r2).value().to_vector();
  CHECK(a == b);
  auto c = dropout(Var(x), 0.5f, true, r1).value().to_vector();
  CHECK(a != c);
}

TEST_CASE("dropout gradient is the mask times the scale") {
  init_engine();
  // A fresh generator per call makes f deterministic, as grad_check needs.
  auto f = [](const std::vector<Var>& v) {
    Rng rng(3);
    return dropout(v[0], 0.4f, true, rng);
  };
  auto r = grad_check(f, {random_tensor({4, 5}, 4)}, 1e-2);
  INFO(r.worst);
  CHECK(r.max_error < 1e-4);
  MESSAGE("dropout max gradient-check error " << r.max_error);

  Var x(Tensor::full({4, 5}, 2.f), true);
  Rng rng(3);
  Var y = dropout(x, 0.4f, true, rng);
  y.backward(Tensor::full({4, 5}, 1.f));
  auto yv = y.value().to_vector(), g = x.grad().to_vector();
  for (size_t i = 0; i < g.size(); ++i) CHECK(g[i] == doctest::Approx(yv[i] / 2.f));
}
