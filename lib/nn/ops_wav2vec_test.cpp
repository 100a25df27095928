// wav2vec 2.0's ops: group_norm against values worked out by hand and in
// bf16, scale_grad's scaled gradient, replace_masked's gradients, and the
// straight-through Gumbel-softmax against the same noise drawn again.
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

TEST_CASE("scale_grad is the identity forward and scales the gradient by s") {
  init_engine();
  Tensor x = random_tensor({2, 3, 4}, 8), r = random_tensor({2, 3, 4}, 9);
  Var xv(x, true);
  Var y = scale_grad(xv, 0.1f);
  CHECK(y.value().to_vector() == x.to_vector());
  y.backward(r);
  auto g = xv.grad().to_vector(), rv = r.to_vector();
  for (size_t i = 0; i < g.size(); ++i) CHECK(g[i] == doctest::Approx(0.1 * rv[i]).epsilon(1e-6));
  // bf16 in, bf16 gradient out.
  Var xb(x.to(DType::bf16), true);
  Var yb = scale_grad(xb, 2.f);
  CHECK(yb.dtype() == DType::bf16);
  yb.backward(r.to(DType::bf16));
  CHECK(xb.grad().dtype() == DType::bf16);
  auto gb = xb.grad().to_vector(), rb = r.to(DType::bf16).to_vector();
  for (size_t i = 0; i < gb.size(); ++i) CHECK(gb[i] == 2 * rb[i]);  // exact: a power of two
}

TEST_CASE("replace_masked puts the embedding at masked rows with gradients to x and emb") {
  init_engine();
  const std::vector<uint8_t> mask{1, 0, 0, 1, 1, 0};
  Tensor x = random_tensor({2, 3, 4}, 10), e = random_tensor({4}, 11);
  {
    NoGrad ng;
    auto y = replace_masked(Var(x), mask, Var(e)).value().to_vector();
    for (int r = 0; r < 6; ++r)
      for (int d = 0; d < 4; ++d) CHECK(y[r * 4 + d] == (mask[r] ? e.f32()[d] : x.f32()[r * 4 + d]));
  }
  auto rc = grad_check([&](const std::vector<Var>& v) { return replace_masked(v[0], mask, v[1]); }, {x, e}, 1e-2);
  INFO(rc.worst);
  CHECK(rc.max_error < 1e-4);
  // bf16 activations keep their dtype; the embedding stays f32.
  NoGrad ng;
  CHECK(replace_masked(Var(x.to(DType::bf16)), mask, Var(e)).dtype() == DType::bf16);
  CHECK_THROWS_AS(replace_masked(Var(x), mask, Var(e.to(DType::bf16))), Error);
  CHECK_THROWS_AS(replace_masked(Var(x), {1, 0}, Var(e)), Error);
}

namespace {

// The noise gumbel_softmax_st draws, drawn again from a generator in the same state.
std::vector<double> gumbel_noise(Rng rng, int64_t n) {
  std::vector<double> g(n);
  for (auto& v : g) {
    const double u = std::min(std::max(rng.uniform(), 1e-10), 1.0 - 1e-10);
    v = -std::log(-std::log(u));
  }
  return g;
}

}  // namespace

TEST_CASE("gumbel_softmax_st is one-hot forward with the soft sample's gradient") {
  init_engine();
  const int64_t N = 3, G = 2, V = 4;
  const float tau = 0.7f;
  Tensor l = random_tensor({N, G * V}, 12, -2, 2), r = random_tensor({N, G * V}, 13);
  for (bool training : {true, false}) {
    INFO("training " << training);
    Rng rng(77, 5);
    const std::vector<double> noise = training ? gumbel_noise(rng, N * G * V) : std::vector<double>(N * G * V, 0.0);
    const auto state_before = rng.state();
    Var lv(l, true);
    Var y = gumbel_softmax_st(lv, G, tau, training, rng);
    // The noise came from rng (and none when not training).
    CHECK((rng.state() == state_before) == !training);
    y.backward(r);
    auto yv = y.value().to_vector(), gv = lv.grad().to_vector();
    for (int64_t row = 0; row < N * G; ++row) {
      const int64_t o = row * V;
      // By hand: p = softmax((l + g) / tau), the argmax, and p (r - <p, r>) / tau.
      std::vector<double> p(V);
      double mx = -INFINITY, z = 0, dot = 0;
      int64_t arg = 0;
      for (int64_t v = 0; v < V; ++v) {
        p[v] = (l.f32()[o + v] + noise[o + v]) / tau;
        if (p[v] > mx) mx = p[v], arg = v;
      }
      for (auto& pv : p) z += (pv = std::exp(pv - mx));
      for (int64_t v = 0; v < V; ++v) dot += (p[v] /= z) * r.f32()[o + v];
      for (int64_t v = 0; v < V; ++v) {
        CHECK(yv[o + v] == (v == arg ? 1.f : 0.f));  // exactly one-hot
        CHECK(gv[o + v] == doctest::Approx(p[v] * (r.f32()[o + v] - dot) / tau).epsilon(1e-5));
      }
    }
    if (!training) {
      // No noise: the code is the argmax of the logits themselves.
      for (int64_t row = 0; row < N * G; ++row) {
        const float* lr = l.f32() + row * V;
        const int64_t arg = std::max_element(lr, lr + V) - lr;
        CHECK(yv[row * V + arg] == 1.f);
      }
    }
  }
}

TEST_CASE("gumbel_softmax_st noise actually changes the codes") {
  init_engine();
  // Equal logits: without noise every group picks entry 0; with it the codes spread.
  Tensor l = Tensor::zeros({64, 4});
  Rng rng(3);
  NoGrad ng;
  auto hard = gumbel_softmax_st(Var(l), 1, 1.f, true, rng).value().to_vector();
  int not_first = 0;
  for (int r = 0; r < 64; ++r) not_first += hard[r * 4] == 0.f;
  CHECK(not_first > 20);
  auto eval = gumbel_softmax_st(Var(l), 1, 1.f, false, rng).value().to_vector();
  for (int r = 0; r < 64; ++r) CHECK(eval[r * 4] == 1.f);
  CHECK_THROWS_AS(gumbel_softmax_st(Var(l.to(DType::bf16)), 1, 1.f, true, rng), Error);
  CHECK_THROWS_AS(gumbel_softmax_st(Var(l), 3, 1.f, true, rng), Error);
}

TEST_CASE("the wav2vec 2.0 ops add into gradients their inputs already hold") {
  init_engine();
  Tensor x = random_tensor({2, 3, 4}, 14), g = random_tensor({4}, 15, 0.5, 1.5), b = random_tensor({4}, 16);
  check_backward_adds([](const std::vector<Var>& v) { return group_norm(v[0], 2, v[1], v[2]); }, {x, g, b});
  check_backward_adds([](const std::vector<Var>& v) { return scale_grad(v[0], 0.1f); }, {x});
  check_backward_adds([](const std::vector<Var>& v) { return replace_masked(v[0], {1, 0, 0, 1, 1, 0}, v[1]); },
                      {x, g});
  check_backward_adds(
      [](const std::vector<Var>& v) {
        Rng rng(9);
        return gumbel_softmax_st(v[0], 2, 0.5f, true, rng);
      },
      {random_tensor({3, 8}, 17)});
}
