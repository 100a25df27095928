// EMP-SSL's losses: the log-determinant against a hand-computed 2x2 and a
// diagonal case, the coding rate's two Gram forms against each other and a
// direct double-precision formula, the crop-mean cosine against a direct
// sum, finite-difference gradients, and backward adding into held gradients.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/ops.hpp"
#include "nn/test_util.hpp"

using namespace sslkit;
using namespace sslkit::nn;
using namespace sslkit::nn::testing;

namespace {
Tensor from(const Shape& s, std::vector<float> v) {
  Tensor t(s, DType::f32);
  std::copy(v.begin(), v.end(), t.f32());
  return t;
}
// A random symmetric positive definite n x n matrix: A A^T + n I.
Tensor spd(int64_t n, uint64_t seed) {
  Tensor a = random_tensor({n, n}, seed);
  Tensor m({n, n}, DType::f32);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = i == j ? static_cast<double>(n) : 0.0;
      for (int64_t k = 0; k < n; ++k) s += a.f32()[i * n + k] * a.f32()[j * n + k];
      m.f32()[i * n + j] = static_cast<float>(s);
    }
  return m;
}
}  // namespace

TEST_CASE("logdet_spd values by hand and a clear failure on an indefinite matrix") {
  init_engine();
  NoGrad ng;
  // det [[4, 2], [2, 3]] = 8.
  CHECK(logdet_spd(Var(from({2, 2}, {4, 2, 2, 3}))).value().item() == doctest::Approx(std::log(8.0)).epsilon(1e-6));
  CHECK(logdet_spd(Var(from({3, 3}, {2, 0, 0, 0, 5, 0, 0, 0, 0.5f}))).value().item() ==
        doctest::Approx(std::log(5.0)).epsilon(1e-6));
  CHECK_THROWS_WITH_AS(logdet_spd(Var(from({2, 2}, {1, 2, 2, 1}))), doctest::Contains("not positive definite"),
                       sslkit::Error);
}

TEST_CASE("logdet_spd gradients against finite differences") {
  init_engine();
  // Perturbing one entry of a symmetric input breaks symmetry; the op
  // symmetrises, so the numeric gradient is that of (M + M^T)/2: M^-1 too.
  check_grad([](const std::vector<Var>& v) { return logdet_spd(v[0]); }, {spd(4, 3)}, 1e-3, 1e-2);
  check_backward_adds([](const std::vector<Var>& v) { return logdet_spd(v[0]); }, {spd(3, 4)});
}

TEST_CASE("total_coding_rate matches the direct formula through either Gram form and has correct gradients") {
  init_engine();
  // Direct: -1/2 logdet(I_D + D/(N eps) Z^T Z) for D = 2 (closed-form 2x2 det).
  auto direct = [](const Tensor& z, float eps) {
    const int64_t N = z.dim(0), D = z.dim(1);
    REQUIRE(D == 2);
    const double s = static_cast<double>(D) / (N * eps);
    double a = 1, b = 0, d = 1;
    for (int64_t r = 0; r < N; ++r) {
      const double x = z.f32()[r * 2], y = z.f32()[r * 2 + 1];
      a += s * x * x;
      b += s * x * y;
      d += s * y * y;
    }
    return -0.5 * std::log(a * d - b * b);
  };
  Tensor tall = random_tensor({5, 2}, 7), wide = random_tensor({1, 2}, 8);
  {
    NoGrad ng;
    CHECK(total_coding_rate(Var(tall), 0.2f).value().item() == doctest::Approx(direct(tall, 0.2f)).epsilon(1e-5));
    // One row: the N x N form (1x1) is used.
    CHECK(total_coding_rate(Var(wide), 0.2f).value().item() == doctest::Approx(direct(wide, 0.2f)).epsilon(1e-5));
    // Spread rows have a lower (more negative) loss than rows on one line.
    Tensor line = from({4, 2}, {1, 0, 1, 0, -1, 0, 1, 0}), spread = from({4, 2}, {1, 0, 0, 1, -1, 0, 0, -1});
    CHECK(total_coding_rate(Var(spread), 0.2f).value().item() < total_coding_rate(Var(line), 0.2f).value().item());
  }
  check_grad([](const std::vector<Var>& v) { return total_coding_rate(v[0], 0.2f); }, {random_tensor({6, 3}, 9)},
             1e-3, 1e-3);
  check_grad([](const std::vector<Var>& v) { return total_coding_rate(v[0], 0.5f); }, {random_tensor({3, 5}, 10)},
             1e-3, 1e-3);
  check_backward_adds([](const std::vector<Var>& v) { return total_coding_rate(v[0], 0.2f); },
                      {random_tensor({4, 3}, 11)});
}

TEST_CASE("crop_mean_cosine is the mean cosine of each crop to its image crop mean and has correct gradients") {
  init_engine();
  const int64_t V = 3, B = 2, D = 4;
  Tensor z = random_tensor({V * B, D}, 12);
  {
    NoGrad ng;
    double want = 0;
    for (int64_t b = 0; b < B; ++b) {
      std::vector<double> m(D, 0.0);
      for (int64_t c = 0; c < V; ++c)
        for (int64_t d = 0; d < D; ++d) m[d] += z.f32()[(c * B + b) * D + d] / V;
      for (int64_t c = 0; c < V; ++c) {
        double dot = 0, nz = 0, nm = 0;
        for (int64_t d = 0; d < D; ++d) {
          const double x = z.f32()[(c * B + b) * D + d];
          dot += x * m[d];
          nz += x * x;
          nm += m[d] * m[d];
        }
        want += dot / std::sqrt(nz * nm) / (V * B);
      }
    }
    CHECK(crop_mean_cosine(Var(z), V).value().item() == doctest::Approx(want).epsilon(1e-5));
    // Identical crops: cosine 1.
    Tensor same = Tensor::zeros({V * B, D});
    for (int64_t r = 0; r < V * B; ++r)
      for (int64_t d = 0; d < D; ++d) same.f32()[r * D + d] = static_cast<float>((r % B) + d + 1);
    CHECK(crop_mean_cosine(Var(same), V).value().item() == doctest::Approx(1.0).epsilon(1e-5));
    CHECK_THROWS_WITH_AS(crop_mean_cosine(Var(z), 4), doctest::Contains("are not 4 crops"), sslkit::Error);
  }
  check_grad([](const std::vector<Var>& v) { return crop_mean_cosine(v[0], 3); }, {z}, 1e-3, 1e-3);
  check_backward_adds([](const std::vector<Var>& v) { return crop_mean_cosine(v[0], 2); }, {random_tensor({4, 3}, 13)});
}
