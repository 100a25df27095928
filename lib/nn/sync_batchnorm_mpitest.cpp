// Synchronised batch norm across the ranks of run_mpi.sh against one process
// holding the whole batch: each rank holds a slice of the rows (of unequal
// sizes, so a count taken as K times the local one would fail) and the
// matching slice of the upstream gradient. The job's objective is the sum
// over ranks of <dy_r, y_r>, the whole batch's <dy, y>.
#include <doctest/doctest.h>

#include <cmath>

#include "core/dist.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"
#include "nn/sync_batchnorm.hpp"

using namespace sslkit;
using namespace sslkit::nn;

namespace {

std::vector<float> rows_of(const Tensor& t, int64_t start, int64_t count) {
  const int64_t per_row = t.numel() / t.dim(0);
  const std::vector<float> all = t.to_vector();
  return {all.begin() + start * per_row, all.begin() + (start + count) * per_row};
}

Tensor slice(const Tensor& t, int64_t start, int64_t count) {
  Shape s = t.shape();
  s[0] = count;
  return Tensor::from(s, rows_of(t, start, count));
}

void check_close(const std::vector<float>& got, const std::vector<float>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == doctest::Approx(want[i]).epsilon(tol).scale(1.0));
  }
}

}  // namespace

TEST_CASE("sync batchnorm mpi: slices on each rank equal one process over the whole batch") {
  init_engine();
  const int k = dist::size(), me = dist::rank();
  for (bool fused : {false, true})
    for (const Shape& row_shape : {Shape{5}, Shape{2, 2, 5}}) {
      INFO((fused ? "fused relu, " : "") << "rows of " << shape_str(row_shape));
      const int64_t C = 5;
      // Rank r holds 3 + r rows.
      int64_t total = 0, start = 0;
      for (int r = 0; r < k; ++r) total += 3 + r;
      for (int r = 0; r < me; ++r) start += 3 + r;
      const int64_t mine = 3 + me;
      Shape whole_shape{total};
      whole_shape.insert(whole_shape.end(), row_shape.begin(), row_shape.end());
      Tensor x = random_tensor(whole_shape, 51, -1, 3), dy = random_tensor(whole_shape, 52);
      Tensor g = random_tensor({C}, 53, 0.5, 1.5), b = random_tensor({C}, 54);
      auto bn = [&](const Var& xv, const Var& gv, const Var& bv, Tensor& rm, Tensor& rv) {
        return fused ? batchnorm_relu(xv, gv, bv, rm, rv, true) : batchnorm(xv, gv, bv, rm, rv, true);
      };

      // One process: the whole batch, ordinary batch norm.
      Var xw(x.clone(), true), gw(g.clone(), true), bw(b.clone(), true);
      Tensor rmw = Tensor::zeros({C}), rvw = Tensor::full({C}, 1.f);
      Var yw = bn(xw, gw, bw, rmw, rvw);
      yw.backward(dy);

      // This rank's slice, synchronised.
      SyncBatchNorm sync(true);
      Var xs(slice(x, start, mine), true), gs(g.clone(), true), bs(b.clone(), true);
      Tensor rms = Tensor::zeros({C}), rvs = Tensor::full({C}, 1.f);
      Var ys = bn(xs, gs, bs, rms, rvs);
      ys.backward(slice(dy, start, mine));

      check_close(ys.value().to_vector(), rows_of(yw.value(), start, mine), 1e-5);
      check_close(xs.grad().to_vector(), rows_of(xw.grad(), start, mine), 1e-4);
      // The parameters' gradients are per rank; the trainer sums them.
      Tensor dg = gs.grad().clone(), db = bs.grad().clone();
      dist::allreduce_sum(dg.f32(), C);
      dist::allreduce_sum(db.f32(), C);
      check_close(dg.to_vector(), gw.grad().to_vector(), 1e-4);
      check_close(db.to_vector(), bw.grad().to_vector(), 1e-4);
      // Running statistics: the whole batch's on every rank.
      check_close(rms.to_vector(), rmw.to_vector(), 1e-6);
      check_close(rvs.to_vector(), rvw.to_vector(), 1e-6);
    }
}
