#include <doctest/doctest.h>

#include <cmath>

#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"

using namespace sslkit::nn;

namespace {

// NT-Xent in double precision, straight from the SimCLR definition.
double nt_xent_ref(const Tensor& a, const Tensor& b, double t) {
  const int64_t N = a.dim(0), D = a.dim(1), M = 2 * N;
  std::vector<std::vector<double>> u(M, std::vector<double>(D));
  for (int64_t i = 0; i < M; ++i) {
    double s = 0;
    for (int64_t d = 0; d < D; ++d) {
      u[i][d] = (i < N ? a : b).f32()[(i % N) * D + d];
      s += u[i][d] * u[i][d];
    }
    for (auto& v : u[i]) v /= std::sqrt(s);
  }
  double loss = 0;
  for (int64_t i = 0; i < M; ++i) {
    double z = 0, pos = 0;
    for (int64_t j = 0; j < M; ++j) {
      if (j == i) continue;
      double s = 0;
      for (int64_t d = 0; d < D; ++d) s += u[i][d] * u[j][d];
      z += std::exp(s / t);
      if (j == (i + N) % M) pos = s / t;
    }
    loss += std::log(z) - pos;
  }
  return loss / M;
}

}  // namespace

TEST_CASE("nt_xent matches the SimCLR definition in double precision") {
  init_engine();
  Tensor a = random_tensor({5, 7}, 1), b = random_tensor({5, 7}, 2);
  NoGrad ng;
  for (float t : {0.2f, 0.5f, 1.0f})
    CHECK(nt_xent(Var(a), Var(b), t).value().item() == doctest::Approx(nt_xent_ref(a, b, t)).epsilon(1e-5));
}

TEST_CASE("nt_xent gradients match finite differences") {
  init_engine();
  auto r = grad_check([](const std::vector<Var>& v) { return nt_xent(v[0], v[1], 0.5f); },
                      {random_tensor({4, 6}, 3), random_tensor({4, 6}, 4)}, 1e-3);
  INFO(r.worst);
  CHECK(r.max_error < 2e-3);
}

TEST_CASE("nt_xent is lower when the two views agree") {
  init_engine();
  Tensor a = random_tensor({8, 16}, 5);
  NoGrad ng;
  float same = nt_xent(Var(a), Var(a), 0.2f).value().item();
  float other = nt_xent(Var(a), Var(random_tensor({8, 16}, 6)), 0.2f).value().item();
  CHECK(same < other);
}
