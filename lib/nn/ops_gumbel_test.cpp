// The straight-through Gumbel-softmax against the same noise drawn again.
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

TEST_CASE("gumbel_softmax_st adds into gradients its input already holds") {
  init_engine();
  check_backward_adds(
      [](const std::vector<Var>& v) {
        Rng rng(9);
        return gumbel_softmax_st(v[0], 2, 0.5f, true, rng);
      },
      {random_tensor({3, 8}, 17)});
}
