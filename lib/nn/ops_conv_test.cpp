#include <doctest/doctest.h>

#include <cmath>

#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

using namespace sslkit::nn;

namespace {

// Naive double-precision conv2d: x [N,H,W,C], w [O,C/g,kh,kw].
std::vector<double> conv2d_ref(const Tensor& x, const Tensor& w, const Tensor* b, const ConvParams& p, Shape& out) {
  int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3), O = w.dim(0), KH = w.dim(2), KW = w.dim(3);
  int64_t g = p.groups, Cg = C / g, Og = O / g;
  int64_t OH = (H + 2 * p.padding[0] - p.dilation[0] * (KH - 1) - 1) / p.stride[0] + 1;
  int64_t OW = (W + 2 * p.padding[1] - p.dilation[1] * (KW - 1) - 1) / p.stride[1] + 1;
  out = {N, OH, OW, O};
  auto xv = x.to_vector(), wv = w.to_vector();
  std::vector<double> y(N * OH * OW * O, 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t o = 0; o < O; ++o) {
          double s = b ? b->to_vector()[o] : 0.0;
          int64_t gi = o / Og;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                int64_t ih = oh * p.stride[0] - p.padding[0] + kh * p.dilation[0];
                int64_t iw = ow * p.stride[1] - p.padding[1] + kw * p.dilation[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                s += static_cast<double>(xv[((n * H + ih) * W + iw) * C + gi * Cg + c]) *
                     wv[((o * Cg + c) * KH + kh) * KW + kw];
              }
          y[((n * OH + oh) * OW + ow) * O + o] = s;
        }
  return y;
}

}  // namespace

TEST_CASE("conv2d forward matches a double-precision loop (stride - padding - dilation - groups)") {
  init_engine();
  for (auto p : {ConvParams{{1, 1}, {1, 1}, {1, 1}, 1}, ConvParams{{2, 1}, {0, 2}, {1, 2}, 1},
                 ConvParams{{1, 2}, {1, 0}, {1, 1}, 2}}) {
    Tensor x = random_tensor({2, 7, 6, 4}, 1), w = random_tensor({6, 4 / p.groups, 3, 3}, 2), b = random_tensor({6}, 3);
    Shape shape;
    auto ref = conv2d_ref(x, w, &b, p, shape);
    NoGrad ng;
    Var y = conv2d(Var(x), Var(w), Var(b), p);
    REQUIRE(y.shape() == shape);
    auto got = y.value().to_vector();
    double err = 0;
    for (size_t i = 0; i < ref.size(); ++i) err = std::max(err, std::fabs(got[i] - ref[i]));
    CHECK(err < 1e-4);
  }
}

TEST_CASE("conv2d gradients match finite differences") {
  init_engine();
  ConvParams p{{2, 1}, {1, 1}, {1, 1}, 1};
  auto f = [&](const std::vector<Var>& v) { return conv2d(v[0], v[1], v[2], p); };
  auto r = grad_check(f, {random_tensor({2, 5, 4, 3}, 4), random_tensor({4, 3, 3, 3}, 5), random_tensor({4}, 6)});
  INFO(r.worst);
  CHECK(r.max_error < 2e-3);
  ConvParams pg{{1, 1}, {0, 0}, {1, 1}, 2};
  auto fg = [&](const std::vector<Var>& v) { return conv2d(v[0], v[1], Var(), pg); };
  auto rg = grad_check(fg, {random_tensor({1, 4, 4, 4}, 7), random_tensor({4, 2, 2, 2}, 8)});
  INFO(rg.worst);
  CHECK(rg.max_error < 2e-3);
}

TEST_CASE("conv1d gradients match finite differences") {
  init_engine();
  ConvParams p{{2}, {1}, {1}, 1};
  auto f = [&](const std::vector<Var>& v) { return conv1d(v[0], v[1], v[2], p); };
  auto r = grad_check(f, {random_tensor({2, 9, 3}, 9), random_tensor({4, 3, 3}, 10), random_tensor({4}, 11)});
  INFO(r.worst);
  CHECK(r.max_error < 2e-3);
}

TEST_CASE("conv2d in bf16 stays within bf16 tolerance of f32") {
  init_engine();
  if (!cpu_supports_bf16()) {
    MESSAGE("bf16 not checked: oneDNN has no bf16 kernels for this CPU (" << cpu_isa_name() << ")");
    return;
  }
  Tensor x = random_tensor({4, 8, 8, 16}, 12), w = random_tensor({16, 16, 3, 3}, 13, -0.2f, 0.2f);
  ConvParams p{{1, 1}, {1, 1}, {1, 1}, 1};
  NoGrad ng;
  auto a = conv2d(Var(x), Var(w), Var(), p).value().to_vector();
  auto b = conv2d(Var(x.to(DType::bf16)), Var(w), Var(), p).value().to_vector();
  double err = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    err = std::max(err, std::fabs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(a[i])));
  }
  // bf16 keeps 8 significant bits: relative error about 2^-8 per term.
  CHECK(err < 0.02 * scale);
}

TEST_CASE("the dense ops count their direct FLOPs - forward and each backward pass") {
  init_engine();
  // conv 3x3, 3 -> 4 channels, groups 1, on [2,5,5,3] padded: 200 outputs of 27 taps.
  Var x(random_tensor({2, 5, 5, 3}, 1), true), w(random_tensor({4, 3, 3, 3}, 2), true);
  ConvParams p{{1, 1}, {1, 1}, {1, 1}, 1};
  flops_reset();
  Var y = conv2d(x, w, Var(), p);
  CHECK(flops_counted() == doctest::Approx(2.0 * 200 * 27));
  sum(y).backward();  // backward-data and backward-weights: the same work each
  CHECK(flops_counted() == doctest::Approx(3 * 2.0 * 200 * 27));
  // linear [6,8] x [5,8]^T: 2 * 6 * 8 * 5 forward; the input needs no gradient here.
  Var a(random_tensor({6, 8}, 3), false), wl(random_tensor({5, 8}, 4), true);
  flops_reset();
  Var z = linear(a, wl, Var());
  CHECK(flops_counted() == doctest::Approx(480));
  sum(z).backward();
  CHECK(flops_counted() == doctest::Approx(960));
  // matmul [2,3,4] x [2,4,5]: 2 * 2 * 3 * 4 * 5 forward, twice that backward.
  Var m1(random_tensor({2, 3, 4}, 5), true), m2(random_tensor({2, 4, 5}, 6), true);
  flops_reset();
  Var mm = matmul(m1, m2, false);
  CHECK(flops_counted() == doctest::Approx(240));
  sum(mm).backward();
  CHECK(flops_counted() == doctest::Approx(720));
}
