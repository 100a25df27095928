#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "nn/gradcheck.hpp"
#include "nn/layers.hpp"
#include "nn/optim.hpp"

using namespace sslkit;
using namespace sslkit::nn;

namespace {

// One parameter w = [1, -2] with gradient g = [0.5, 0.25] for every step.
struct OneParam {
  Var w{Tensor::from({2}, {1.f, -2.f}), true};
  std::vector<ParamGroup> groups(double wd = 0) { return {ParamGroup{{&w}, 1.0, wd, false}}; }
  void set_grad() { w.grad() = Tensor::from({2}, {0.5f, 0.25f}); }
};

}  // namespace

TEST_CASE("sgd: plain - momentum and nesterov steps match hand computation") {
  OneParam a;
  SGD plain(a.groups(), 0.1, 0.0);
  a.set_grad();
  plain.step();
  CHECK(a.w.value().f32()[0] == doctest::Approx(0.95));
  OneParam b;
  SGD mom(b.groups(), 0.1, 0.9);
  b.set_grad();
  mom.step();  // buf = g: w = 1 - 0.05
  b.set_grad();
  mom.step();  // buf = 0.9*0.5 + 0.5 = 0.95: w = 0.95 - 0.095
  CHECK(b.w.value().f32()[0] == doctest::Approx(0.855));
  OneParam c;
  SGD nest(c.groups(), 0.1, 0.9, true);
  c.set_grad();
  nest.step();  // buf = 0.5, d = 0.5 + 0.45 = 0.95: w = 0.905
  CHECK(c.w.value().f32()[0] == doctest::Approx(0.905));
}

TEST_CASE("adamw: first steps match PyTorch's formula with decoupled decay") {
  OneParam a;
  AdamW opt(a.groups(0.1), 0.01);
  a.set_grad();
  opt.step();
  // Step 1: m_hat = g, v_hat = g^2, update = lr * sign(g) (up to eps); decay w *= 1 - lr*wd.
  CHECK(a.w.value().f32()[0] == doctest::Approx(1 * (1 - 0.001) - 0.01).epsilon(1e-6));
  CHECK(a.w.value().f32()[1] == doctest::Approx(-2 * (1 - 0.001) - 0.01).epsilon(1e-6));
  a.set_grad();
  opt.step();
  // Constant gradient: m_hat = g and v_hat = g^2 again, so the same step.
  CHECK(a.w.value().f32()[0] == doctest::Approx((1 * 0.999 - 0.01) * 0.999 - 0.01).epsilon(1e-6));
  CHECK(opt.state().size() == 2);
}

TEST_CASE("lars scales each step by the trust ratio and skips excluded groups") {
  OneParam a;
  LARS opt({ParamGroup{{&a.w}, 1.0, 0.0, false}}, 1.0, 0.0, 0.001);
  a.set_grad();
  opt.step();
  double wn = std::sqrt(5.0), gn = std::sqrt(0.25 + 0.0625);
  CHECK(a.w.value().f32()[0] == doctest::Approx(1 - 0.001 * wn / gn * 0.5).epsilon(1e-6));
  OneParam b;
  LARS ex({ParamGroup{{&b.w}, 1.0, 0.0, true}}, 0.1, 0.0);
  b.set_grad();
  ex.step();
  CHECK(b.w.value().f32()[0] == doctest::Approx(0.95));
}

TEST_CASE("EMA update and BYOL's tau schedule") {
  Rng rng(1);
  Linear online(3, 2, rng), target(3, 2, rng);
  float t0 = target.weight.value().f32()[0], o0 = online.weight.value().f32()[0];
  ema_update(target, online, 0.99);
  CHECK(target.weight.value().f32()[0] == doctest::Approx(0.99 * t0 + 0.01 * o0));
  CHECK(byol_tau(0.0) == doctest::Approx(0.99));
  CHECK(byol_tau(0.5) == doctest::Approx(0.995));
  CHECK(byol_tau(1.0) == doctest::Approx(1.0));
}

TEST_CASE("decay groups leave biases and norm parameters undecayed") {
  Rng rng(2);
  MLP m({4, 8, 2}, rng, true);
  auto g = decay_groups(m, 1e-4);
  CHECK(g[0].params.size() == 2);  // the two linear weights
  CHECK(g[1].params.size() == 3);  // batchnorm weight and bias, last linear bias
}

TEST_CASE("ema_update refuses modules of different structure instead of truncating") {
  Rng rng(1);
  Linear a(2, 3, rng), b(2, 3, rng);
  MLP c({2, 3, 3}, rng);
  CHECK_NOTHROW(ema_update(a, b, 0.9));
  CHECK_THROWS_AS(ema_update(a, c, 0.9), Error);
}

TEST_CASE("ema_update refuses parameters of the same count but another shape - naming the parameter") {
  // Linear(2, 3) and Linear(3, 2) both hold two parameters, and their weights
  // hold six numbers each, but the target's bias has 3 where the online one
  // has 2: pairing them by count alone would read past the online bias.
  Rng rng(1);
  Linear target(2, 3, rng), online(3, 2, rng);
  const float bias0 = target.bias.value().f32()[0];
  CHECK_THROWS_WITH_AS(ema_update(target, online, 0.9), doctest::Contains("EMA target parameter weight has shape"),
                       Error);
  // Nothing is half-updated: the check runs before the first write.
  CHECK(target.bias.value().f32()[0] == bias0);
  Linear flat(6, 1, rng), tall(1, 6, rng);
  CHECK_THROWS_WITH_AS(ema_update(flat, tall, 0.9), doctest::Contains("weight"), Error);
}

TEST_CASE("ema_update refuses a pair of parameters of different dtypes") {
  Rng rng(1);
  Linear target(2, 3, rng), online(2, 3, rng);
  online.bias.value() = online.bias.value().to(DType::bf16);
  CHECK_THROWS_WITH_AS(ema_update(target, online, 0.9), doctest::Contains("EMA target parameter bias is f32"), Error);
}
