// group_norm against values worked out by hand, finite differences and bf16.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"
#include "nn/test_util.hpp"

using namespace sslkit;
using namespace sslkit::nn;
using sslkit::nn::testing::check_backward_adds;

TEST_CASE("group_norm of a [1 3 2] input matches a hand computation") {
  init_engine();
  // Channel 0 over time: 1 2 3; channel 1: 0 0 6.
  Tensor x = Tensor::from({1, 3, 2}, {1, 0, 2, 0, 3, 6});
  Tensor g = Tensor::from({2}, {2.f, 0.5f}), b = Tensor::from({2}, {1.f, -1.f});
  const double eps = 1e-5;
  NoGrad ng;
  SUBCASE("groups == C: each channel over time") {
    // ch0: mean 2, var 2/3; ch1: mean 2, var (4 + 4 + 16) / 3 = 8.
    const double r0 = 1 / std::sqrt(2.0 / 3 + eps), r1 = 1 / std::sqrt(8 + eps);
    const std::vector<double> want{1 - 2 * r0, -1 - 0.5 * 2 * r1, 1, -1 - 0.5 * 2 * r1, 1 + 2 * r0, -1 + 0.5 * 4 * r1};
    auto got = group_norm(Var(x), 2, Var(g), Var(b)).value().to_vector();
    CHECK(testing::max_diff(got, want) < 1e-5);
  }
  SUBCASE("groups == 1: all six values together") {
    // mean 2, var (1 + 4 + 0 + 4 + 1 + 16) / 6 = 26/6.
    const double r = 1 / std::sqrt(26.0 / 6 + eps);
    const std::vector<double> want{1 - 2 * r, -1 - 0.5 * 2 * r, 1,  -1 - 0.5 * 2 * r,
                                   1 + 2 * r, -1 + 0.5 * 4 * r};
    auto got = group_norm(Var(x), 1, Var(g), Var(b)).value().to_vector();
    CHECK(testing::max_diff(got, want) < 1e-5);
  }
}

TEST_CASE("group_norm gradients of input gamma and beta match finite differences") {
  init_engine();
  double worst = 0;
  struct Case {
    Shape s;
    int64_t groups;
  };
  // groups == C (wav2vec 2.0's first layer), groups == 1, and 2 groups of 3 channels.
  for (const Case& k : {Case{{2, 3, 4}, 4}, Case{{2, 3, 4}, 1}, Case{{2, 4, 6}, 2}}) {
    const int64_t C = k.s.back();
    const int64_t groups = k.groups;
    auto r = grad_check([groups](const std::vector<Var>& v) { return group_norm(v[0], groups, v[1], v[2]); },
                        {random_tensor(k.s, 1, -2, 2), random_tensor({C}, 2, 0.5, 1.5), random_tensor({C}, 3)}, 1e-3);
    INFO("groups " << groups << ": " << r.worst);
    CHECK(r.max_error < 2e-3);
    worst = std::max(worst, r.max_error);
  }
  MESSAGE("group_norm max gradient-check error " << worst);
}

TEST_CASE("group_norm in bf16 stays within bf16 tolerance of f32") {
  init_engine();
  Tensor x = random_tensor({2, 8, 6}, 4, -2, 2), g = random_tensor({6}, 5, 0.5, 1.5), b = random_tensor({6}, 6);
  Tensor r = random_tensor({2, 8, 6}, 7);
  auto run = [&](DType dt, std::vector<float>& y, std::vector<float>& dx, std::vector<float>& dg) {
    Var xv(x.to(dt), true), gv(g, true), bv(b, true);
    Var out = group_norm(xv, 3, gv, bv);
    CHECK(out.dtype() == dt);
    y = out.value().to_vector();
    out.backward(r.to(dt));
    CHECK(xv.grad().dtype() == dt);
    CHECK(gv.grad().dtype() == DType::f32);
    dx = xv.grad().to_vector();
    dg = gv.grad().to_vector();
  };
  std::vector<float> y32, dx32, dg32, y16, dx16, dg16;
  run(DType::f32, y32, dx32, dg32);
  run(DType::bf16, y16, dx16, dg16);
  auto diff = [](const std::vector<float>& a, const std::vector<float>& b) {
    double e = 0;
    for (size_t i = 0; i < a.size(); ++i) e = std::max(e, static_cast<double>(std::fabs(a[i] - b[i])));
    return e;
  };
  CHECK(diff(y32, y16) < 0.05);
  CHECK(diff(dx32, dx16) < 0.05);
  CHECK(diff(dg32, dg16) < 0.05);
}

TEST_CASE("group_norm rejects channels that do not split into the groups") {
  init_engine();
  Var x(random_tensor({1, 2, 6}, 1)), g(Tensor::full({6}, 1.f)), b(Tensor::zeros({6}));
  CHECK_THROWS_AS(group_norm(x, 4, g, b), Error);
  CHECK_THROWS_AS(group_norm(x, 2, Var(Tensor::full({5}, 1.f)), b), Error);
  CHECK_THROWS_AS(group_norm(Var(random_tensor({2, 6}, 1)), 2, g, b), Error);
}

TEST_CASE("group_norm adds into gradients its inputs already hold") {
  init_engine();
  Tensor x = random_tensor({2, 3, 4}, 14), g = random_tensor({4}, 15, 0.5, 1.5), b = random_tensor({4}, 16);
  check_backward_adds([](const std::vector<Var>& v) { return group_norm(v[0], 2, v[1], v[2]); }, {x, g, b});
}
