// softmax and log_softmax over the last axis: forward against a
// double-precision loop (including rows far from zero, where a naive exp
// overflows), finite-difference gradients.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"

using namespace sslkit;
using namespace sslkit::nn;

namespace {

// log-softmax in double with the max subtracted; softmax is its exp.
std::vector<double> log_softmax_ref(const Tensor& x) {
  const int64_t C = x.dim(-1), R = x.numel() / C;
  auto xv = x.to_vector();
  std::vector<double> y(xv.size());
  for (int64_t r = 0; r < R; ++r) {
    double mx = -INFINITY, z = 0;
    for (int64_t c = 0; c < C; ++c) mx = std::max(mx, static_cast<double>(xv[r * C + c]));
    for (int64_t c = 0; c < C; ++c) z += std::exp(xv[r * C + c] - mx);
    for (int64_t c = 0; c < C; ++c) y[r * C + c] = xv[r * C + c] - mx - std::log(z);
  }
  return y;
}

}  // namespace

TEST_CASE("softmax and log_softmax forward match a double loop") {
  init_engine();
  Tensor small = random_tensor({2, 3, 5}, 1, -3, 3);
  Tensor large = random_tensor({4, 6}, 2, 990, 1010);  // exp overflows f32 without the max shift
  for (const Tensor* x : {&small, &large}) {
    auto want = log_softmax_ref(*x);
    NoGrad ng;
    auto sm = softmax(Var(*x));
    auto ls = log_softmax(Var(*x));
    REQUIRE(sm.shape() == x->shape());
    REQUIRE(ls.shape() == x->shape());
    auto s = sm.value().to_vector(), l = ls.value().to_vector();
    double es = 0, el = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      es = std::max(es, std::fabs(s[i] - std::exp(want[i])));
      el = std::max(el, std::fabs(l[i] - want[i]));
    }
    CHECK(es < 1e-6);
    CHECK(el < 1e-5);
    const int64_t C = x->dim(-1);
    for (int64_t r = 0; r < x->numel() / C; ++r) {
      double sum = 0;
      for (int64_t c = 0; c < C; ++c) sum += s[r * C + c];
      CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
    }
  }
}

TEST_CASE("softmax and log_softmax gradients match finite differences") {
  init_engine();
  double worst_s = 0, worst_l = 0;
  for (const Shape& s : {Shape{3, 5}, Shape{2, 2, 4}}) {
    Tensor x = random_tensor(s, 3, -2, 2);
    auto rs = grad_check([](const std::vector<Var>& v) { return softmax(v[0]); }, {x}, 1e-3);
    auto rl = grad_check([](const std::vector<Var>& v) { return log_softmax(v[0]); }, {x}, 1e-3);
    INFO(rs.worst << " / " << rl.worst);
    CHECK(rs.max_error < 1e-3);
    CHECK(rl.max_error < 1e-3);
    worst_s = std::max(worst_s, rs.max_error);
    worst_l = std::max(worst_l, rl.max_error);
  }
  MESSAGE("softmax max gradient-check error " << worst_s << ", log_softmax " << worst_l);
}

TEST_CASE("softmax training and inference primitives agree") {
  init_engine();
  Tensor x = random_tensor({3, 7}, 4);
  auto train = softmax(Var(x, true)).value().to_vector();
  auto train_log = log_softmax(Var(x, true)).value().to_vector();
  NoGrad ng;
  auto infer = softmax(Var(x)).value().to_vector();
  auto infer_log = log_softmax(Var(x)).value().to_vector();
  for (size_t i = 0; i < train.size(); ++i) {
    CHECK(train[i] == doctest::Approx(infer[i]).epsilon(1e-6));
    CHECK(train_log[i] == doctest::Approx(infer_log[i]).epsilon(1e-6));
  }
}

TEST_CASE("softmax in bf16 stays within bf16 tolerance of f32") {
  init_engine();
  if (!cpu_supports_bf16()) {
    MESSAGE("bf16 not checked: oneDNN has no bf16 kernels for this CPU (" << cpu_isa_name() << ")");
    return;
  }
  Tensor x = random_tensor({8, 32}, 5, -3, 3);
  auto want = log_softmax_ref(x);
  NoGrad ng;
  auto s = softmax(Var(x.to(DType::bf16))).value().to_vector();
  auto l = log_softmax(Var(x.to(DType::bf16))).value().to_vector();
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(std::fabs(s[i] - std::exp(want[i])) < 0.01);
    CHECK(std::fabs(l[i] - want[i]) < 0.05);
  }
}
