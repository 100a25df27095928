// The SSL losses (NT-Xent's relatives, BYOL's, VICReg's, Barlow Twins'):
// values against double-precision formulas, and finite-difference gradients.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"
#include "nn/test_util.hpp"

using namespace sslkit;
using namespace sslkit::nn;
using namespace sslkit::nn::testing;

TEST_CASE("ssl losses have the reference values on tiny cases and correct gradients") {
  init_engine();
  Tensor p = random_tensor({4, 3}, 17), z = random_tensor({4, 3}, 18);
  {
    NoGrad ng;
    double want = 0;
    for (int i = 0; i < 4; ++i) {
      double d = 0, np = 0, nz = 0;
      for (int k = 0; k < 3; ++k) {
        d += static_cast<double>(p.f32()[i * 3 + k]) * z.f32()[i * 3 + k];
        np += std::pow(p.f32()[i * 3 + k], 2);
        nz += std::pow(z.f32()[i * 3 + k], 2);
      }
      want -= d / std::sqrt(np * nz) / 4;
    }
    CHECK(neg_cosine(Var(p), Var(z)).value().item() == doctest::Approx(want).epsilon(1e-5));
    // Barlow Twins of identical, already standardised views with orthogonal
    // columns has zero loss only on the diagonal: check against a direct sum.
    std::vector<uint8_t> mask{1, 0, 1, 0};
    double mse = 0;
    for (int r : {0, 2})
      for (int k = 0; k < 3; ++k) mse += std::pow(p.f32()[r * 3 + k] - z.f32()[r * 3 + k], 2) / 6;
    CHECK(mse_masked(Var(p), Var(z), mask).value().item() == doctest::Approx(mse).epsilon(1e-5));
  }
  check_grad([](const std::vector<Var>& v) { return neg_cosine(v[0], v[1]); }, {p, z}, 1e-3, 1e-3);
  check_grad([](const std::vector<Var>& v) { return mse_masked(v[0], v[1], {1, 0, 1, 1}); }, {p, z}, 1e-3);
  Tensor queue = random_tensor({6, 3}, 19);
  // The key branch is stop-gradient: only q is checked.
  auto r = grad_check([&](const std::vector<Var>& v) { return info_nce(v[0], v[1], queue, 0.5f); }, {p, z}, 1e-3,
                      {true, false});
  INFO(r.worst);
  CHECK(r.max_error < 1e-3);
  check_grad([](const std::vector<Var>& v) { return barlow_twins(v[0], v[1], 5e-3f); },
             {random_tensor({6, 3}, 20), random_tensor({6, 3}, 21)}, 5e-3, 1e-3);
  // VICReg: std well below 1 keeps the hinge active (no kink nearby).
  check_grad([](const std::vector<Var>& v) { return vicreg(v[0], v[1]); },
             {random_tensor({6, 3}, 22, -0.3f, 0.3f), random_tensor({6, 3}, 23, -0.3f, 0.3f)}, 5e-3, 1e-3);
}

TEST_CASE("vicreg and barlow twins values match direct double-precision formulas") {
  init_engine();
  Tensor a = random_tensor({5, 2}, 24, -0.5f, 0.5f), b = random_tensor({5, 2}, 25, -0.5f, 0.5f);
  const int N = 5, D = 2;
  auto col = [&](const Tensor& t, int j) {
    std::vector<double> c(N);
    for (int i = 0; i < N; ++i) c[i] = t.f32()[i * D + j];
    return c;
  };
  auto mean = [](const std::vector<double>& v) { double s = 0; for (double x : v) s += x; return s / v.size(); };
  // VICReg.
  double repr = 0;
  for (int i = 0; i < N * D; ++i) repr += std::pow(a.f32()[i] - b.f32()[i], 2) / (N * D);
  double stdl = 0, covl = 0;
  for (const Tensor* t : {&a, &b}) {
    std::vector<std::vector<double>> c(D);
    for (int j = 0; j < D; ++j) {
      c[j] = col(*t, j);
      double m = mean(c[j]);
      for (auto& x : c[j]) x -= m;
      double var = 0;
      for (double x : c[j]) var += x * x / (N - 1);
      stdl += std::max(0.0, 1 - std::sqrt(var + 1e-4)) / D / 2;
    }
    double cov01 = 0;
    for (int i = 0; i < N; ++i) cov01 += c[0][i] * c[1][i] / (N - 1);
    covl += 2 * cov01 * cov01 / D;
  }
  NoGrad ng;
  CHECK(vicreg(Var(a), Var(b)).value().item() == doctest::Approx(25 * repr + 25 * stdl + covl).epsilon(1e-4));
  // Barlow Twins.
  std::vector<std::vector<double>> sa(D), sb(D);
  for (int j = 0; j < D; ++j) {
    for (auto* pr : {&sa, &sb}) {
      auto c = col(pr == &sa ? a : b, j);
      double m = mean(c), v = 0;
      for (double x : c) v += (x - m) * (x - m) / N;
      for (auto& x : c) x = (x - m) / std::sqrt(v + 1e-5);
      (*pr)[j] = c;
    }
  }
  double bt = 0;
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < D; ++j) {
      double cij = 0;
      for (int n = 0; n < N; ++n) cij += sa[i][n] * sb[j][n] / N;
      bt += i == j ? (1 - cij) * (1 - cij) : 5e-3 * cij * cij;
    }
  CHECK(barlow_twins(Var(a), Var(b)).value().item() == doctest::Approx(bt).epsilon(1e-4));
}
