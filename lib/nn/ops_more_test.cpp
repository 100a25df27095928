// matmul, row-wise ops, shape ops, embedding, dropout and the SSL losses:
// forward against double-precision references and finite-difference gradients.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"

using namespace sslkit;
using namespace sslkit::nn;

namespace {

void check_grad(const std::function<Var(const std::vector<Var>&)>& f, const std::vector<Tensor>& in, double tol,
                double eps = 1e-2) {
  auto r = grad_check(f, in, eps);
  INFO(r.worst);
  CHECK(r.max_error < tol);
}

}  // namespace

TEST_CASE("matmul forward matches a loop for plain - transposed and batched operands") {
  init_engine();
  Tensor a = random_tensor({2, 3, 4}, 1), b = random_tensor({2, 4, 5}, 2), bt = random_tensor({2, 5, 4}, 3);
  NoGrad ng;
  auto y = matmul(Var(a), Var(b)).value();
  auto yt = matmul(Var(a), Var(bt), true).value();
  for (int n = 0; n < 2; ++n)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 5; ++j) {
        double s = 0, st = 0;
        for (int k = 0; k < 4; ++k) {
          s += static_cast<double>(a.f32()[(n * 3 + i) * 4 + k]) * b.f32()[(n * 4 + k) * 5 + j];
          st += static_cast<double>(a.f32()[(n * 3 + i) * 4 + k]) * bt.f32()[(n * 5 + j) * 4 + k];
        }
        CHECK(y.f32()[(n * 3 + i) * 5 + j] == doctest::Approx(s).epsilon(1e-5));
        CHECK(yt.f32()[(n * 3 + i) * 5 + j] == doctest::Approx(st).epsilon(1e-5));
      }
}

TEST_CASE("matmul gradients match finite differences") {
  init_engine();
  check_grad([](const std::vector<Var>& v) { return matmul(v[0], v[1]); },
             {random_tensor({3, 4}, 4), random_tensor({4, 2}, 5)}, 1e-3);
  check_grad([](const std::vector<Var>& v) { return matmul(v[0], v[1], true); },
             {random_tensor({2, 3, 4}, 6), random_tensor({2, 5, 4}, 7)}, 1e-3);
}

TEST_CASE("layernorm softmax log_softmax and l2_normalize match references and their gradients") {
  init_engine();
  Tensor x = random_tensor({3, 5}, 8, -2, 2);
  Tensor g = random_tensor({5}, 9, 0.5, 1.5), b = random_tensor({5}, 10);
  NoGrad* ng = new NoGrad;
  auto ln = layernorm(Var(x), Var(g), Var(b)).value();
  auto sm = softmax(Var(x)).value();
  auto ls = log_softmax(Var(x)).value();
  auto l2 = l2_normalize(Var(x)).value();
  delete ng;
  for (int r = 0; r < 3; ++r) {
    double m = 0, v = 0, z = 0, n2 = 0;
    for (int c = 0; c < 5; ++c) m += x.f32()[r * 5 + c] / 5.0;
    for (int c = 0; c < 5; ++c) {
      v += std::pow(x.f32()[r * 5 + c] - m, 2) / 5.0;
      z += std::exp(static_cast<double>(x.f32()[r * 5 + c]));
      n2 += std::pow(x.f32()[r * 5 + c], 2);
    }
    for (int c = 0; c < 5; ++c) {
      double xv = x.f32()[r * 5 + c];
      CHECK(ln.f32()[r * 5 + c] == doctest::Approx((xv - m) / std::sqrt(v + 1e-5) * g.f32()[c] + b.f32()[c]).epsilon(1e-4));
      CHECK(sm.f32()[r * 5 + c] == doctest::Approx(std::exp(xv) / z).epsilon(1e-5));
      CHECK(ls.f32()[r * 5 + c] == doctest::Approx(xv - std::log(z)).epsilon(1e-5));
      CHECK(l2.f32()[r * 5 + c] == doctest::Approx(xv / std::sqrt(n2)).epsilon(1e-5));
    }
  }
  check_grad([](const std::vector<Var>& v) { return layernorm(v[0], v[1], v[2]); }, {x, g, b}, 2e-3, 1e-3);
  check_grad([](const std::vector<Var>& v) { return softmax(v[0]); }, {x}, 1e-3, 1e-3);
  check_grad([](const std::vector<Var>& v) { return log_softmax(v[0]); }, {x}, 1e-3, 1e-3);
  check_grad([](const std::vector<Var>& v) { return l2_normalize(v[0]); }, {x}, 1e-3, 1e-3);
}

TEST_CASE("concat transpose slice_rows and embedding move values and route gradients") {
  init_engine();
  Tensor a = random_tensor({2, 3}, 11), b = random_tensor({2, 2}, 12);
  NoGrad* ng = new NoGrad;
  auto c = concat({Var(a), Var(b)}, 1).value();
  auto t = transpose(Var(random_tensor({2, 3, 4}, 13)), 0, 2).value();
  delete ng;
  CHECK(c.shape() == Shape{2, 5});
  CHECK(c.f32()[5 + 3] == b.f32()[2]);
  CHECK(t.shape() == Shape{4, 3, 2});
  Tensor x3 = random_tensor({2, 3, 4}, 13);
  CHECK(t.f32()[(1 * 3 + 2) * 2 + 1] == x3.f32()[(1 * 3 + 2) * 4 + 1]);
  check_grad([](const std::vector<Var>& v) { return concat({v[0], v[1]}, 1); }, {a, b}, 1e-3);
  check_grad([](const std::vector<Var>& v) { return concat({v[0], v[1]}, 0); }, {a, random_tensor({1, 3}, 14)}, 1e-3);
  check_grad([](const std::vector<Var>& v) { return transpose(v[0], 1, 2); }, {x3}, 1e-3);
  check_grad([](const std::vector<Var>& v) { return slice_rows(v[0], 1, 2); }, {random_tensor({4, 3}, 15)}, 1e-3);
  std::vector<int32_t> ids{2, 0, 2};
  check_grad([&](const std::vector<Var>& v) { return embedding(v[0], ids); }, {random_tensor({3, 4}, 16)}, 1e-3);
  CHECK_THROWS(embedding(Var(random_tensor({3, 4}, 16)), {3}));
}

TEST_CASE("dropout keeps about 1-p of the values - scaled - and is the identity in eval") {
  Rng rng(1);
  Tensor x = Tensor::full({10000}, 1.f);
  auto y = dropout(Var(x), 0.3f, true, rng).value();
  int kept = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    if (y.f32()[i] != 0) {
      ++kept;
      CHECK(y.f32()[i] == doctest::Approx(1 / 0.7));
    }
  }
  CHECK(std::abs(kept - 7000) < 250);
  CHECK(dropout(Var(x), 0.3f, false, rng).value().raw() == x.raw());
}

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
