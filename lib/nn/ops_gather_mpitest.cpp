// gather_rows across the 2 ranks of run_mpi.sh against one process that holds
// the whole batch: the value is the stacked rows in rank order, and the
// gradient of a loss that every rank computes over the gathered rows is, per
// rank, the sum over ranks of that rank's block, i.e. K times the whole-batch
// gradient's block (the trainer's average then divides by K).
#include <doctest/doctest.h>

#include <vector>

#include "core/dist.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"

using namespace sslkit;
using namespace sslkit::nn;

namespace {
// The whole batch's z1, z2 [K*n, d]; every rank makes the same (seeded).
Tensor whole(int64_t rows, int64_t d, uint64_t seed) { return random_tensor({rows, d}, seed); }
Tensor block(const Tensor& t, int r, int64_t n) {
  const int64_t d = t.dim(1);
  Tensor b({n, d}, DType::f32);
  for (int64_t i = 0; i < n * d; ++i) b.f32()[i] = t.f32()[r * n * d + i];
  return b;
}
}  // namespace

TEST_CASE("gather_rows mpi: value and gradient equal one process over the whole batch") {
  const int k = dist::size(), me = dist::rank();
  const int64_t n = 3, d = 5;
  Tensor a = whole(k * n, d, 11), r = whole(k * n, d, 12);
  // Whole batch on one process: loss = <r, a^2> (not symmetric in the rows).
  Var wa(a, true);
  Var wl = sum(mul(Var(r), mul(wa, wa)));
  wl.backward();
  // This rank's block, gathered, through the same loss.
  Var x(block(a, me, n), true);
  Var g = gather_rows(x);
  REQUIRE(g.shape() == Shape{k * n, d});
  for (int64_t i = 0; i < k * n * d; ++i) CHECK(g.value().f32()[i] == a.f32()[i]);
  Var l = sum(mul(Var(r), mul(g, g)));
  CHECK(l.value().item() == doctest::Approx(wl.value().item()).epsilon(1e-6));
  l.backward();
  Tensor want = block(wa.grad(), me, n);
  for (int64_t i = 0; i < n * d; ++i)
    CHECK(x.grad().f32()[i] == doctest::Approx(k * want.f32()[i]).epsilon(1e-6));
}

TEST_CASE("gather_rows mpi: NT-Xent over gathered views equals one process's NT-Xent, gradient K times") {
  const int k = dist::size(), me = dist::rank();
  const int64_t n = 4, d = 6;
  Tensor a = whole(k * n, d, 21), b = whole(k * n, d, 22);
  Var wa(a, true), wb(b, true);
  Var wl = nt_xent(wa, wb, 0.5f);
  wl.backward();
  Var x1(block(a, me, n), true), x2(block(b, me, n), true);
  Var l = nt_xent(gather_rows(x1), gather_rows(x2), 0.5f);
  CHECK(l.value().item() == doctest::Approx(wl.value().item()).epsilon(1e-5));
  l.backward();
  Tensor w1 = block(wa.grad(), me, n), w2 = block(wb.grad(), me, n);
  for (int64_t i = 0; i < n * d; ++i) {
    CHECK(x1.grad().f32()[i] == doctest::Approx(k * w1.f32()[i]).epsilon(1e-5));
    CHECK(x2.grad().f32()[i] == doctest::Approx(k * w2.f32()[i]).epsilon(1e-5));
  }
}

TEST_CASE("gather_rows mpi: Barlow Twins and VICReg over gathered rows equal one process's, gradient K times") {
  const int k = dist::size(), me = dist::rank();
  const int64_t n = 4, d = 5;
  Tensor a = whole(k * n, d, 51), b = whole(k * n, d, 52);
  for (int vic = 0; vic < 2; ++vic) {
    CAPTURE(vic);
    auto loss = [&](const Var& x, const Var& y) { return vic ? vicreg(x, y) : barlow_twins(x, y, 5e-3f); };
    Var wa(a, true), wb(b, true);
    Var wl = loss(wa, wb);
    wl.backward();
    Var x1(block(a, me, n), true), x2(block(b, me, n), true);
    Var l = loss(gather_rows(x1), gather_rows(x2));
    CHECK(l.value().item() == doctest::Approx(wl.value().item()).epsilon(1e-5));
    l.backward();
    Tensor w1 = block(wa.grad(), me, n), w2 = block(wb.grad(), me, n);
    for (int64_t i = 0; i < n * d; ++i) {
      CHECK(x1.grad().f32()[i] == doctest::Approx(k * w1.f32()[i]).epsilon(1e-4));
      CHECK(x2.grad().f32()[i] == doctest::Approx(k * w2.f32()[i]).epsilon(1e-4));
    }
  }
}

TEST_CASE("gather_rows mpi: EMP's coding rate over gathered rows equals one process's, gradient K times") {
  const int k = dist::size(), me = dist::rank();
  const int64_t n = 3, d = 8;
  Tensor a = whole(k * n, d, 61);
  Var wa(a, true);
  Var wl = total_coding_rate(wa, 0.2f);
  wl.backward();
  Var x(block(a, me, n), true);
  Var l = total_coding_rate(gather_rows(x), 0.2f);
  CHECK(l.value().item() == doctest::Approx(wl.value().item()).epsilon(1e-5));
  l.backward();
  Tensor w = block(wa.grad(), me, n);
  for (int64_t i = 0; i < n * d; ++i) CHECK(x.grad().f32()[i] == doctest::Approx(k * w.f32()[i]).epsilon(1e-4));
}
