// Copies that move data around: concat, transpose of two axes, a slice of
// rows, embedding lookup and dropout. Plain loops; gradients route back.
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
  if (xs.empty()) throw Error("", "internal: concat of nothing");
  Shape shape = xs[0].shape();
  const int rank = static_cast<int>(shape.size());
  if (axis < 0) axis += rank;
  const DType dt = xs[0].dtype();
  int64_t total = 0;
  for (auto& x : xs) {
    if (x.value().rank() != rank || x.dtype() != dt) throw Error("", "internal: concat of mismatched tensors");
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

// out = x with axes a0 and a1 swapped (a general strided copy).
Tensor swap_axes(const Tensor& x, int a0, int a1) {
  Shape s = x.shape();
  std::swap(s[a0], s[a1]);
  Tensor y(s, x.dtype());
  const int rank = x.rank();
  std::vector<int64_t> in_stride(rank, 1);
  for (int i = rank - 2; i >= 0; --i) in_stride[i] = in_stride[i + 1] * x.dim(i + 1);
  std::vector<int64_t> stride = in_stride;
  std::swap(stride[a0], stride[a1]);  // stride in x of each output axis
  const int64_t n = y.numel();
  const size_t es = esize(x.dtype());
#pragma omp parallel for if (n > 65536)
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = i, src = 0;
    for (int d = rank - 1; d >= 0; --d) {
      src += (rem % s[d]) * stride[d];
      rem /= s[d];
    }
    std::memcpy(static_cast<char*>(y.raw()) + i * es, static_cast<const char*>(x.raw()) + src * es, es);
  }
  return y;
}

}  // namespace

Var transpose(const Var& xv, int a0, int a1) {
  const int rank = xv.value().rank();
  if (a0 < 0) a0 += rank;
  if (a1 < 0) a1 += rank;
  return make_result(swap_axes(xv.value(), a0, a1), {xv},
                     [a0, a1](Node& n) { n.inputs[0]->accumulate(swap_axes(n.grad, a0, a1)); });
}

Var slice_rows(const Var& xv, int64_t start, int64_t count) {
  const Tensor& x = xv.value();
  if (start < 0 || start + count > x.dim(0)) throw Error("", "internal: slice_rows out of range");
  Shape s = x.shape();
  s[0] = count;
  const int64_t row = x.numel() / x.dim(0);
  const size_t es = esize(x.dtype());
  Tensor y(s, x.dtype());
  std::memcpy(y.raw(), static_cast<const char*>(x.raw()) + start * row * es, count * row * es);
  return make_result(y, {xv}, [=](Node& n) {
    Tensor g = Tensor::zeros(x.shape(), n.grad.dtype());
    std::memcpy(static_cast<char*>(g.raw()) + start * row * es, n.grad.raw(), count * row * es);
    n.inputs[0]->accumulate(g);
  });
}

Var embedding(const Var& table, const std::vector<int32_t>& ids) {
  const Tensor& t = table.value();
  const int64_t V = t.dim(0), D = t.dim(1), n = static_cast<int64_t>(ids.size());
  for (auto id : ids)
    if (id < 0 || id >= V) throw Error("", "token id " + std::to_string(id) + " outside the vocabulary of " + std::to_string(V));
  Tensor y({n, D}, t.dtype());
  const size_t es = esize(t.dtype());
#pragma omp parallel for if (n > 1024)
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(static_cast<char*>(y.raw()) + i * D * es, static_cast<const char*>(t.raw()) + ids[i] * D * es, D * es);
  return make_result(y, {table}, [=](Node& nd) {
    // Scatter-add: repeated ids add up (serial over rows to avoid races).
    Tensor g = Tensor::zeros({V, D});
    for (int64_t i = 0; i < n; ++i)
      for (int64_t d = 0; d < D; ++d) g.f32()[ids[i] * D + d] += load(nd.grad, i * D + d);
    nd.inputs[0]->accumulate(g);
  });
}

Var dropout(const Var& xv, float p, bool training, Rng& rng) {
  if (!training || p <= 0) return xv;
  const Tensor& x = xv.value();
  const int64_t n = x.numel();
  const float keep = 1.0f / (1.0f - p);
  Tensor mask({n}, DType::f32), y(x.shape(), x.dtype());
  for (int64_t i = 0; i < n; ++i) mask.f32()[i] = rng.bernoulli(p) ? 0.f : keep;
  for (int64_t i = 0; i < n; ++i) store(y, i, load(x, i) * mask.f32()[i]);
  return make_result(y, {xv}, [=](Node& nd) {
    Tensor g(x.shape(), nd.grad.dtype());
    for (int64_t i = 0; i < n; ++i) store(g, i, load(nd.grad, i) * mask.f32()[i]);
    nd.inputs[0]->accumulate(g);
  });
}

}  // namespace sslkit::nn
