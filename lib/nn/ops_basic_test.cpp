// Forward against naive double loops and finite-difference gradients for
// linear, batchnorm, relu/gelu, pooling, the arithmetic ops and scale_grad.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/test_util.hpp"
#include "nn/ops.hpp"

using namespace sslkit::nn;
using namespace sslkit::nn::testing;

namespace {

// Values kept away from 0 so relu and max pooling have no kink nearby.
Tensor away_from_zero(const Shape& s, uint64_t seed) {
  Tensor t = random_tensor(s, seed);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] += t.f32()[i] >= 0 ? 0.1f : -0.1f;
  return t;
}

}  // namespace

TEST_CASE("linear forward and gradients") {
  init_engine();
  Tensor x = random_tensor({3, 2, 5}, 1), w = random_tensor({4, 5}, 2), b = random_tensor({4}, 3);
  NoGrad* ng = new NoGrad;
  auto y = linear(Var(x), Var(w), Var(b)).value();
  delete ng;
  CHECK(y.shape() == Shape{3, 2, 4});
  std::vector<double> ref(24);
  for (int r = 0; r < 6; ++r)
    for (int o = 0; o < 4; ++o) {
      double s = b.f32()[o];
      for (int k = 0; k < 5; ++k) s += static_cast<double>(x.f32()[r * 5 + k]) * w.f32()[o * 5 + k];
      ref[r * 4 + o] = s;
    }
  CHECK(max_diff(y.to_vector(), ref) < 1e-5);
  check_grad([](const std::vector<Var>& v) { return linear(v[0], v[1], v[2]); }, {x, w, b}, 1e-3);
  check_grad([](const std::vector<Var>& v) { return linear(v[0], v[1], Var()); }, {x, w}, 1e-3);
}

TEST_CASE("batchnorm training normalises per channel and updates running stats") {
  init_engine();
  Tensor x = random_tensor({4, 3, 2, 5}, 4, -2, 3), g = random_tensor({5}, 5, 0.5, 1.5), b = random_tensor({5}, 6);
  Tensor rm = Tensor::zeros({5}), rv = Tensor::full({5}, 1.0f);
  auto y = batchnorm(Var(x), Var(g), Var(b), rm, rv, true).value().to_vector();
  const int64_t rows = 24, C = 5;
  for (int64_t c = 0; c < C; ++c) {
    double m = 0, v = 0;
    for (int64_t r = 0; r < rows; ++r) m += x.f32()[r * C + c];
    m /= rows;
    for (int64_t r = 0; r < rows; ++r) v += std::pow(x.f32()[r * C + c] - m, 2);
    double var_b = v / rows;
    for (int64_t r = 0; r < rows; ++r) {
      double want = (x.f32()[r * C + c] - m) / std::sqrt(var_b + 1e-5) * g.f32()[c] + b.f32()[c];
      CHECK(std::fabs(y[r * C + c] - want) < 1e-4);
    }
    CHECK(rm.f32()[c] == doctest::Approx(0.1 * m).epsilon(1e-4));
    CHECK(rv.f32()[c] == doctest::Approx(0.9 + 0.1 * v / (rows - 1)).epsilon(1e-4));
  }
}

TEST_CASE("batchnorm gradients in training and eval mode") {
  init_engine();
  Tensor rm = random_tensor({3}, 7), rv = random_tensor({3}, 8, 0.5, 2);
  check_grad(
      [&](const std::vector<Var>& v) {
        Tensor m = rm.clone(), s = rv.clone();
        return batchnorm(v[0], v[1], v[2], m, s, true);
      },
      {random_tensor({2, 3, 2, 3}, 9), random_tensor({3}, 10, 0.5, 1.5), random_tensor({3}, 11)}, 2e-3);
  check_grad(
      [&](const std::vector<Var>& v) {
        Tensor m = rm.clone(), s = rv.clone();
        return batchnorm(v[0], v[1], v[2], m, s, false);
      },
      {random_tensor({4, 3}, 12), random_tensor({3}, 13, 0.5, 1.5), random_tensor({3}, 14)}, 2e-3);
}

TEST_CASE("fused batchnorm-relu equals relu of batchnorm and has the same gradients") {
  init_engine();
  Tensor x = random_tensor({3, 2, 2, 4}, 30), g = random_tensor({4}, 31, 0.5, 1.5), b = random_tensor({4}, 32);
  Tensor m1 = Tensor::zeros({4}), v1 = Tensor::full({4}, 1.f), m2 = m1.clone(), v2 = v1.clone();
  auto fused = batchnorm_relu(Var(x), Var(g), Var(b), m1, v1, true).value().to_vector();
  auto plain = relu(batchnorm(Var(x), Var(g), Var(b), m2, v2, true)).value().to_vector();
  for (size_t i = 0; i < fused.size(); ++i) CHECK(fused[i] == doctest::Approx(plain[i]).epsilon(1e-5));
  check_grad(
      [&](const std::vector<Var>& v) {
        Tensor m = Tensor::zeros({4}), s = Tensor::full({4}, 1.f);
        return batchnorm_relu(v[0], v[1], v[2], m, s, true);
      },
      {x, g, b}, 5e-3, 1e-3);
}

TEST_CASE("relu and gelu forward and gradients") {
  init_engine();
  Tensor x = away_from_zero({2, 3, 4}, 15);
  NoGrad* ng = new NoGrad;
  auto r = relu(Var(x)).value().to_vector();
  auto g = gelu(Var(x)).value().to_vector();
  delete ng;
  for (int64_t i = 0; i < x.numel(); ++i) {
    double v = x.f32()[i];
    CHECK(r[i] == doctest::Approx(std::max(0.0, v)));
    CHECK(g[i] == doctest::Approx(0.5 * v * (1 + std::erf(v / std::sqrt(2.0)))).epsilon(1e-5));
  }
  check_grad([](const std::vector<Var>& v) { return relu(v[0]); }, {x}, 1e-3, 1e-3);
  check_grad([](const std::vector<Var>& v) { return gelu(v[0]); }, {x}, 1e-3);
}

TEST_CASE("max and average pooling forward and gradients") {
  init_engine();
  Tensor x = away_from_zero({2, 4, 4, 3}, 16);
  NoGrad* ng = new NoGrad;
  auto m = max_pool2d(Var(x), 2, 2).value();
  auto a = avg_pool2d(Var(x), 2, 2).value();
  delete ng;
  CHECK(m.shape() == Shape{2, 2, 2, 3});
  auto X = [&](int n, int h, int w, int c) { return static_cast<double>(x.f32()[((n * 4 + h) * 4 + w) * 3 + c]); };
  for (int n = 0; n < 2; ++n)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 2; ++w)
        for (int c = 0; c < 3; ++c) {
          double mx = std::max({X(n, 2 * h, 2 * w, c), X(n, 2 * h + 1, 2 * w, c), X(n, 2 * h, 2 * w + 1, c),
                                X(n, 2 * h + 1, 2 * w + 1, c)});
          double av = (X(n, 2 * h, 2 * w, c) + X(n, 2 * h + 1, 2 * w, c) + X(n, 2 * h, 2 * w + 1, c) +
                       X(n, 2 * h + 1, 2 * w + 1, c)) / 4;
          int i = ((n * 2 + h) * 2 + w) * 3 + c;
          CHECK(m.f32()[i] == doctest::Approx(mx));
          CHECK(a.f32()[i] == doctest::Approx(av));
        }
  check_grad([](const std::vector<Var>& v) { return max_pool2d(v[0], 2, 2); }, {x}, 1e-3, 1e-3);
  check_grad([](const std::vector<Var>& v) { return avg_pool2d(v[0], 3, 1, 1); }, {x}, 1e-3);
  check_grad([](const std::vector<Var>& v) { return global_avg_pool(v[0]); }, {x}, 1e-3);
}

TEST_CASE("arithmetic ops forward and gradients") {
  init_engine();
  Tensor a = random_tensor({3, 4}, 17), b = random_tensor({3, 4}, 18), c = random_tensor({4}, 19);
  NoGrad* ng = new NoGrad;
  auto s = add(Var(a), Var(c)).value();
  delete ng;
  CHECK(s.f32()[5] == doctest::Approx(a.f32()[5] + c.f32()[1]));
  check_grad([](const std::vector<Var>& v) { return add(v[0], v[1]); }, {a, b}, 1e-3);
  check_grad([](const std::vector<Var>& v) { return add(v[0], v[1]); }, {a, c}, 1e-3);
  check_grad([](const std::vector<Var>& v) { return sub(v[0], v[1]); }, {a, c}, 1e-3);
  check_grad([](const std::vector<Var>& v) { return mul(v[0], v[1]); }, {a, b}, 1e-3);
  check_grad([](const std::vector<Var>& v) { return scale(v[0], -2.5f); }, {a}, 1e-3);
  check_grad([](const std::vector<Var>& v) { return mean(reshape(v[0], {12})); }, {a}, 1e-3);
  check_grad([](const std::vector<Var>& v) { return sum(v[0]); }, {a}, 1e-3);
  // A cast to bf16 and back loses precision but keeps gradients flowing.
  check_grad([](const std::vector<Var>& v) { return cast(scale(cast(v[0], DType::bf16), 2), DType::f32); }, {a},
             2e-2, 0.2);
}

TEST_CASE("the tape accumulates gradients of a value used twice and frees the graph") {
  init_engine();
  Var x(Tensor::from({2}, {1.f, 2.f}), true);
  Var y = add(mul(x, x), x);  // y = x^2 + x, dy/dx = 2x + 1
  sum(y).backward();
  CHECK(x.grad().f32()[0] == doctest::Approx(3));
  CHECK(x.grad().f32()[1] == doctest::Approx(5));
  CHECK(y.node()->inputs.empty());
  Var d = x.detach();
  CHECK_FALSE(d.requires_grad());
  NoGrad ng;
  CHECK_FALSE(mul(x, x).requires_grad());
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

TEST_CASE("scale_grad adds into gradients its input already holds") {
  init_engine();
  check_backward_adds([](const std::vector<Var>& v) { return scale_grad(v[0], 0.1f); },
                      {random_tensor({2, 3, 4}, 14)});
}
