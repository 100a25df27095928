// concat, transpose and slice_rows: values against index loops for every
// axis, gradients against finite differences, and bad arguments rejected.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/test_util.hpp"
#include "nn/ops.hpp"

using namespace sslkit;
using namespace sslkit::nn;
using namespace sslkit::nn::testing;

namespace {

// Row-major strides of a shape.
std::vector<int64_t> strides_of(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (int i = static_cast<int>(s.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * s[i + 1];
  return st;
}

// The multi-index of flat position i.
std::vector<int64_t> index_of(int64_t i, const Shape& s) {
  std::vector<int64_t> idx(s.size());
  for (int d = static_cast<int>(s.size()) - 1; d >= 0; --d) {
    idx[d] = i % s[d];
    i /= s[d];
  }
  return idx;
}

int64_t flat(const std::vector<int64_t>& idx, const Shape& s) {
  auto st = strides_of(s);
  int64_t f = 0;
  for (size_t d = 0; d < idx.size(); ++d) f += idx[d] * st[d];
  return f;
}

double g_worst = 0;  // over the gradient checks of this file, for the report

void check_grad(const std::function<Var(const std::vector<Var>&)>& f, const std::vector<Tensor>& in) {
  // Copies are linear: differences are exact up to rounding for any eps.
  auto r = grad_check(f, in, 1e-2);
  INFO(r.worst);
  CHECK(r.max_error < 1e-4);
  g_worst = std::max(g_worst, r.max_error);
}

}  // namespace

TEST_CASE("concat on every axis matches an index loop") {
  init_engine();
  const Shape base{2, 3, 4};
  for (int axis = 0; axis < 3; ++axis) {
    Shape sa = base, sb = base, sc = base;
    sb[axis] = 1;
    sc[axis] = 2;
    Tensor a = random_tensor(sa, 1), b = random_tensor(sb, 2), c = random_tensor(sc, 3);
    NoGrad ng;
    for (int ax : {axis, axis - 3}) {  // the negative spelling too
      Var y = concat({Var(a), Var(b), Var(c)}, ax);
      Shape want = base;
      want[axis] = sa[axis] + sb[axis] + sc[axis];
      REQUIRE(y.shape() == want);
      auto yv = y.value().to_vector();
      for (int64_t i = 0; i < y.value().numel(); ++i) {
        auto idx = index_of(i, want);
        const Tensor* src = &a;
        if (idx[axis] >= sa[axis] + sb[axis]) {
          src = &c;
          idx[axis] -= sa[axis] + sb[axis];
        } else if (idx[axis] >= sa[axis]) {
          src = &b;
          idx[axis] -= sa[axis];
        }
        CHECK(yv[i] == src->f32()[flat(idx, src->shape())]);
      }
    }
  }
}

TEST_CASE("concat gradients match finite differences on every axis") {
  init_engine();
  for (int axis = 0; axis < 3; ++axis) {
    Shape sa{2, 3, 2}, sb{2, 3, 2};
    sb[axis] = 1;
    check_grad([axis](const std::vector<Var>& v) { return concat({v[0], v[1]}, axis); },
               {random_tensor(sa, 4), random_tensor(sb, 5)});
  }
  // One input without a gradient: the other still gets its slice.
  Var a(random_tensor({2, 2}, 6), true), b(random_tensor({2, 3}, 7), false);
  Var y = concat({a, b}, 1);
  y.backward(random_tensor({2, 5}, 8));
  auto g = a.grad().to_vector();
  Tensor r = random_tensor({2, 5}, 8);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) CHECK(g[i * 2 + j] == r.f32()[i * 5 + j]);
}

TEST_CASE("transpose of every axis pair matches an index loop") {
  init_engine();
  for (const Shape& s : {Shape{2, 3, 4}, Shape{2, 3, 2, 5}}) {
    Tensor x = random_tensor(s, 9);
    const int rank = static_cast<int>(s.size());
    for (int a0 = 0; a0 < rank; ++a0)
      for (int a1 = a0 + 1; a1 < rank; ++a1) {
        NoGrad ng;
        Var y = transpose(Var(x), a0, a1 - rank);  // mixed signs
        Shape want = s;
        std::swap(want[a0], want[a1]);
        REQUIRE(y.shape() == want);
        auto yv = y.value().to_vector();
        for (int64_t i = 0; i < y.value().numel(); ++i) {
          auto idx = index_of(i, want);
          std::swap(idx[a0], idx[a1]);
          CHECK(yv[i] == x.f32()[flat(idx, s)]);
        }
      }
  }
}

TEST_CASE("transpose gradients match finite differences") {
  init_engine();
  check_grad([](const std::vector<Var>& v) { return transpose(v[0], 0, 2); }, {random_tensor({2, 3, 4}, 10)});
  check_grad([](const std::vector<Var>& v) { return transpose(v[0], 1, 2); }, {random_tensor({2, 3, 2, 2}, 11)});
  // The attention pattern: [B,T,H,dh] -> [B,H,T,dh].
  check_grad([](const std::vector<Var>& v) { return transpose(v[0], 1, 2); }, {random_tensor({2, 3, 2, 4}, 12)});
}

TEST_CASE("slice_rows copies rows and routes gradients into them") {
  init_engine();
  Tensor x = random_tensor({5, 2, 3}, 13);
  {
    NoGrad ng;
    Var y = slice_rows(Var(x), 1, 3);
    REQUIRE(y.shape() == Shape{3, 2, 3});
    auto yv = y.value().to_vector();
    for (int64_t i = 0; i < 18; ++i) CHECK(yv[i] == x.f32()[6 + i]);
    CHECK(slice_rows(Var(x), 5, 0).shape() == Shape{0, 2, 3});
  }
  check_grad([](const std::vector<Var>& v) { return slice_rows(v[0], 2, 2); }, {random_tensor({4, 3}, 14)});
  check_grad([](const std::vector<Var>& v) { return slice_rows(v[0], 0, 1); }, {random_tensor({3, 2, 2}, 15)});
  MESSAGE("shape ops max gradient-check error " << g_worst);
}

TEST_CASE("shape ops reject bad arguments") {
  init_engine();
  Var a(random_tensor({2, 3}, 1)), b(random_tensor({3, 3}, 2));
  CHECK_THROWS_AS(concat({a, b}, 1), Error);  // rows differ off the axis
  CHECK_THROWS_AS(concat({a, b}, 2), Error);
  CHECK_THROWS_AS(concat({}, 0), Error);
  CHECK_THROWS_AS(transpose(a, 0, 2), Error);
  CHECK_THROWS_AS(slice_rows(a, 1, 2), Error);
  CHECK_THROWS_AS(slice_rows(a, -1, 1), Error);
}
