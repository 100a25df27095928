// Copies that move data around: concat, transpose of two axes, a slice of
// rows. Plain loops (memcpy per contiguous run); gradients route back.
#include <cstring>

#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"

namespace sslkit::nn {

namespace {

// Sizes around `axis`: outer x dim x inner.
void split_at(const Shape& s, int axis, int64_t& outer, int64_t& inner) {
  outer = 1;
  inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  for (size_t i = axis + 1; i < s.size(); ++i) inner *= s[i];
}

size_t esize(DType t) { return t == DType::f32 ? 4 : 2; }

}  // namespace

Var concat(const std::vector<Var>& xs, int axis) {
  if (xs.empty()) SSLKIT_FAIL(std::string("concat of nothing"));
  Shape shape = xs[0].shape();
  const int rank = static_cast<int>(shape.size());
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) SSLKIT_FAIL(std::string("concat axis out of range for ") + shape_str(shape));
  const DType dt = xs[0].dtype();
  int64_t total = 0;
  for (auto& x : xs) {
    bool ok = x.value().rank() == rank && x.dtype() == dt;
    for (int i = 0; ok && i < rank; ++i) ok = i == axis || x.shape()[i] == shape[i];
    if (!ok)
      SSLKIT_FAIL(std::string("concat of ") + shape_str(x.shape()) + " with " + shape_str(shape) + " on axis " +
                          std::to_string(axis));
    total += x.shape()[axis];
  }
  shape[axis] = total;
  Tensor y(shape, dt);
  int64_t outer, inner;
  split_at(shape, axis, outer, inner);
  const size_t es = esize(dt);
  int64_t offset = 0;
  std::vector<int64_t> offsets;
  for (auto& x : xs) {
    const int64_t d = x.shape()[axis];
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(static_cast<char*>(y.raw()) + ((o * total + offset) * inner) * es,
                  static_cast<const char*>(x.value().raw()) + (o * d * inner) * es, d * inner * es);
    offsets.push_back(offset);
    offset += d;
  }
  return make_result(y, xs, [=](Node& n) {
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      if (!n.inputs[k]->requires_grad) continue;
      const Shape& s = n.inputs[k]->value.shape();
      const int64_t d = s[axis];
      Tensor g(s, n.grad.dtype());
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(static_cast<char*>(g.raw()) + (o * d * inner) * es,
                    static_cast<const char*>(n.grad.raw()) + ((o * total + offsets[k]) * inner) * es, d * inner * es);
      n.inputs[k]->accumulate(g);
    }
  });
}

namespace {

// out = x with axes a0 < a1 swapped. The axes after a1 stay together, so
// the copy moves contiguous blocks of `inner` elements: x viewed as
// [outer, A, mid, B, inner] becomes [outer, B, mid, A, inner]. (An element-
// by-element copy with a div/mod per axis took 29 % of a BERT step.)
Tensor swap_axes(const Tensor& x, int a0, int a1) {
  if (a0 > a1) std::swap(a0, a1);
  Shape s = x.shape();
  std::swap(s[a0], s[a1]);
  Tensor y(s, x.dtype());
  const int rank = x.rank();
  auto prod = [&](int from, int to) {
    int64_t p = 1;
    for (int i = from; i < to; ++i) p *= x.dim(i);
    return p;
  };
  const int64_t outer = prod(0, a0), A = x.dim(a0), mid = prod(a0 + 1, a1), B = x.dim(a1), inner = prod(a1 + 1, rank);
  const size_t es = esize(x.dtype()), block = static_cast<size_t>(inner) * es;
  const char* src = static_cast<const char*>(x.raw());
  char* dst = static_cast<char*>(y.raw());
  const int64_t blocks = outer * A * mid * B;
#pragma omp parallel for if (blocks * inner > 65536)
  for (int64_t i = 0; i < blocks; ++i) {
    // i enumerates the output [outer, B, mid, A]; read from x [outer, A, mid, B].
    int64_t rem = i;
    const int64_t a = rem % A;
    rem /= A;
    const int64_t m = rem % mid;
    rem /= mid;
    const int64_t b = rem % B;
    const int64_t o = rem / B;
    const int64_t from = (((o * A + a) * mid + m) * B + b);
    std::memcpy(dst + i * block, src + from * block, block);
  }
  return y;
}

}  // namespace

Var transpose(const Var& xv, int a0, int a1) {
  const int rank = xv.value().rank();
  if (a0 < 0) a0 += rank;
  if (a1 < 0) a1 += rank;
  if (a0 < 0 || a0 >= rank || a1 < 0 || a1 >= rank)
    SSLKIT_FAIL(std::string("transpose axes out of range for ") + shape_str(xv.shape()));
  if (a0 == a1) return xv;  // nothing moves
  return make_result(swap_axes(xv.value(), a0, a1), {xv},
                     [a0, a1](Node& n) { n.inputs[0]->accumulate(swap_axes(n.grad, a0, a1)); });
}

Var slice_rows(const Var& xv, int64_t start, int64_t count) {
  const Tensor& x = xv.value();
  if (x.rank() < 1 || start < 0 || count < 0 || start + count > x.dim(0))
    SSLKIT_FAIL(std::string("slice_rows ") + std::to_string(start) + "+" + std::to_string(count) + " of " +
                        shape_str(x.shape()));
  Shape s = x.shape();
  s[0] = count;
  const int64_t row = numel_of(Shape(x.shape().begin() + 1, x.shape().end()));
  const size_t es = esize(x.dtype());
  Tensor y(s, x.dtype());
  std::memcpy(y.raw(), static_cast<const char*>(x.raw()) + start * row * es, count * row * es);
  return make_result(y, {xv}, [=](Node& n) {
    Tensor g = Tensor::zeros(x.shape(), n.grad.dtype());
    std::memcpy(static_cast<char*>(g.raw()) + start * row * es, n.grad.raw(), count * row * es);
    n.inputs[0]->accumulate(g);
  });
}

}  // namespace sslkit::nn
