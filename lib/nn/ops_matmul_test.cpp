// matmul: forward against a double-precision loop for every operand form
// (2-D, batched, transposed B, a batch against one shared B) and
// finite-difference gradients of both operands.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"

using namespace sslkit;
using namespace sslkit::nn;

namespace {

// C[b,m,n] = sum_k A[b,m,k] B[b?,k,n] (B stored [.., N, K] when tb); `shared`: B has no batch axis.
std::vector<double> matmul_ref(const Tensor& a, const Tensor& b, bool tb, int64_t Bn, int64_t M, int64_t K,
                               int64_t N, bool shared) {
  auto av = a.to_vector(), bv = b.to_vector();
  std::vector<double> c(Bn * M * N, 0.0);
  for (int64_t p = 0; p < Bn; ++p) {
    const int64_t boff = shared ? 0 : p * K * N;
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k)
          s += static_cast<double>(av[(p * M + m) * K + k]) * bv[boff + (tb ? n * K + k : k * N + n)];
        c[(p * M + m) * N + n] = s;
      }
  }
  return c;
}

double max_abs_diff(const std::vector<float>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  double e = 0;
  for (size_t i = 0; i < got.size(); ++i) e = std::max(e, std::fabs(got[i] - want[i]));
  return e;
}

}  // namespace

TEST_CASE("matmul 2-D forward matches a double loop with and without transpose_b") {
  init_engine();
  Tensor a = random_tensor({5, 7}, 1), b = random_tensor({7, 3}, 2), bt = random_tensor({3, 7}, 3);
  NoGrad ng;
  Var y = matmul(Var(a), Var(b));
  Var yt = matmul(Var(a), Var(bt), true);
  CHECK(y.shape() == Shape{5, 3});
  CHECK(yt.shape() == Shape{5, 3});
  CHECK(max_abs_diff(y.value().to_vector(), matmul_ref(a, b, false, 1, 5, 7, 3, false)) < 1e-5);
  CHECK(max_abs_diff(yt.value().to_vector(), matmul_ref(a, bt, true, 1, 5, 7, 3, false)) < 1e-5);
}

TEST_CASE("batched matmul forward matches a double loop with and without transpose_b") {
  init_engine();
  Tensor a = random_tensor({3, 4, 6}, 4), b = random_tensor({3, 6, 5}, 5), bt = random_tensor({3, 5, 6}, 6);
  NoGrad ng;
  Var y = matmul(Var(a), Var(b));
  Var yt = matmul(Var(a), Var(bt), true);
  CHECK(y.shape() == Shape{3, 4, 5});
  CHECK(yt.shape() == Shape{3, 4, 5});
  CHECK(max_abs_diff(y.value().to_vector(), matmul_ref(a, b, false, 3, 4, 6, 5, false)) < 1e-5);
  CHECK(max_abs_diff(yt.value().to_vector(), matmul_ref(a, bt, true, 3, 4, 6, 5, false)) < 1e-5);
}

TEST_CASE("matmul of a batch against one shared 2-D operand matches a double loop") {
  init_engine();
  Tensor a = random_tensor({2, 3, 4}, 7), b = random_tensor({4, 5}, 8), bt = random_tensor({5, 4}, 9);
  NoGrad ng;
  Var y = matmul(Var(a), Var(b));
  Var yt = matmul(Var(a), Var(bt), true);
  CHECK(y.shape() == Shape{2, 3, 5});
  CHECK(max_abs_diff(y.value().to_vector(), matmul_ref(a, b, false, 2, 3, 4, 5, true)) < 1e-5);
  CHECK(max_abs_diff(yt.value().to_vector(), matmul_ref(a, bt, true, 2, 3, 4, 5, true)) < 1e-5);
}

TEST_CASE("matmul gradients of both operands match finite differences for every operand form") {
  init_engine();
  struct Case {
    const char* name;
    Shape a, b;
    bool tb;
  };
  const Case cases[] = {{"2-D", {3, 4}, {4, 2}, false},         {"2-D transposed", {3, 4}, {2, 4}, true},
                        {"batched", {2, 3, 4}, {2, 4, 5}, false}, {"batched transposed", {2, 3, 4}, {2, 5, 4}, true},
                        {"shared B", {2, 3, 4}, {4, 5}, false},   {"shared B transposed", {2, 3, 4}, {5, 4}, true}};
  double worst = 0;
  uint64_t seed = 10;
  for (const auto& c : cases) {
    // matmul is bilinear: central differences are exact up to rounding, so eps can be large.
    auto r = grad_check([&](const std::vector<Var>& v) { return matmul(v[0], v[1], c.tb); },
                        {random_tensor(c.a, seed), random_tensor(c.b, seed + 1)}, 1e-2);
    seed += 2;
    INFO(c.name << ": " << r.worst);
    CHECK(r.max_error < 1e-4);
    worst = std::max(worst, r.max_error);
  }
  MESSAGE("matmul max gradient-check error " << worst);
}

TEST_CASE("matmul rejects mismatched operands") {
  init_engine();
  CHECK_THROWS_AS(matmul(Var(random_tensor({3, 4}, 1)), Var(random_tensor({5, 2}, 2))), Error);
  CHECK_THROWS_AS(matmul(Var(random_tensor({2, 3, 4}, 1)), Var(random_tensor({3, 4, 2}, 2))), Error);
  CHECK_THROWS_AS(matmul(Var(random_tensor({3, 4}, 1)), Var(random_tensor({1, 4, 2}, 2))), Error);
  CHECK_THROWS_AS(matmul(Var(random_tensor({3, 4}, 1)), Var(random_tensor({4, 3}, 2)), true), Error);
}

TEST_CASE("matmul in bf16 stays within bf16 tolerance of f32") {
  init_engine();
  if (!cpu_supports_bf16()) {
    MESSAGE("bf16 not checked: oneDNN has no bf16 kernels for this CPU (" << cpu_isa_name() << ")");
    return;
  }
  Tensor a = random_tensor({2, 8, 16}, 20), b = random_tensor({2, 8, 16}, 21);
  NoGrad ng;
  auto want = matmul_ref(a, b, true, 2, 8, 16, 8, false);
  Var y = matmul(Var(a.to(DType::bf16)), Var(b.to(DType::bf16)), true);
  CHECK(y.dtype() == DType::bf16);
  // 16 products of values below 1, each with 2^-8 relative error, plus bf16 rounding of the result.
  CHECK(max_abs_diff(y.value().to_vector(), want) < 0.1);
}
