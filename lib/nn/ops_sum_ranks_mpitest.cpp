// sum_ranks across the 2 ranks of run_mpi.sh against one process that holds
// every rank's values: a loss that differs per rank (so an identity backward,
// or one that kept only this rank's share, would fail).
#include <doctest/doctest.h>

#include "core/dist.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"
#include "nn/ops_sum_ranks.hpp"

using namespace sslkit;
using namespace sslkit::nn;

TEST_CASE("sum_ranks mpi: value and gradient equal one process over every rank's values") {
  const int k = dist::size(), me = dist::rank();
  const int64_t d = 7;
  // Rank r holds x_r; its loss is <w_r, s * s> with s = sum_r x_r. The job's
  // objective is sum_r <w_r, s * s>, whose gradient in x_r is 2 s (sum_r w_r).
  std::vector<Tensor> xs, ws;
  for (int r = 0; r < k; ++r) {
    xs.push_back(random_tensor({d}, 31 + r));
    ws.push_back(random_tensor({d}, 41 + r));
  }
  Var x(xs[me].clone(), true);
  Var s = sum_ranks(x);
  Var l = sum(mul(Var(ws[me]), mul(s, s)));
  l.backward();
  for (int64_t i = 0; i < d; ++i) {
    float si = 0, wi = 0;
    for (int r = 0; r < k; ++r) si += xs[r].f32()[i], wi += ws[r].f32()[i];
    CHECK(s.value().f32()[i] == doctest::Approx(si).epsilon(1e-6));
    CHECK(x.grad().f32()[i] == doctest::Approx(2 * si * wi).epsilon(1e-5));
  }
}
