// Elementwise arithmetic, casts, reshape, a gradient scale and reductions to
// a scalar: plain OpenMP loops (memory-bound; a oneDNN binary primitive
// would not be faster and would need its own descriptors per shape).
#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"

namespace sslkit::nn {

namespace {

constexpr int64_t kParallel = 1 << 14;

// b broadcast over a: same shape, or b of shape [C] with a [...,C].
bool is_bias(const Tensor& a, const Tensor& b) {
  return b.rank() == 1 && b.dim(0) == a.dim(-1) && a.numel() != b.numel();
}

// Sums g [...,C] over all but the last axis into [C] (f32).
Tensor reduce_to_channels(const Tensor& g, int64_t C) {
  const int64_t rows = g.numel() / C;
  Tensor out = Tensor::zeros({C}, DType::f32);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < C; ++c) out.f32()[c] += load(g, r * C + c);
  return out;
}

Var add_or_sub(const Var& av, const Var& bv, float sign) {
  const Tensor& a = av.value();
  const Tensor& b = bv.value();
  const bool bias = is_bias(a, b);
  if (!bias && a.numel() != b.numel())
    SSLKIT_FAIL(std::string("add ") + shape_str(a.shape()) + " and " + shape_str(b.shape()));
  Tensor y(a.shape(), a.dtype());
  const int64_t n = a.numel(), C = b.numel();
  if (a.dtype() == DType::f32 && b.dtype() == DType::f32 && !bias) {
    const float *pa = a.f32(), *pb = b.f32();
    float* py = y.f32();
#pragma omp parallel for simd if (n > kParallel)
    for (int64_t i = 0; i < n; ++i) py[i] = pa[i] + sign * pb[i];
  } else {
#pragma omp parallel for if (n > kParallel)
    for (int64_t i = 0; i < n; ++i) store(y, i, load(a, i) + sign * load(b, bias ? i % C : i));
  }
  return make_result(y, {av, bv}, [=](Node& nd) {
    nd.inputs[0]->accumulate(nd.grad);
    if (!nd.inputs[1]->requires_grad) return;
    if (bias) {
      Tensor g = reduce_to_channels(nd.grad, C);
      if (sign < 0) g = scale(Var(g), -1).value();
      nd.inputs[1]->accumulate(g);
    } else if (sign < 0) {
      Tensor g(nd.grad.shape(), nd.grad.dtype());
      for (int64_t i = 0; i < n; ++i) store(g, i, -load(nd.grad, i));
      nd.inputs[1]->accumulate(g);
    } else {
      nd.inputs[1]->accumulate(nd.grad);
    }
  });
}

}  // namespace

Var add(const Var& a, const Var& b) { return add_or_sub(a, b, 1.f); }
Var sub(const Var& a, const Var& b) { return add_or_sub(a, b, -1.f); }

Var mul(const Var& av, const Var& bv) {
  const Tensor& a = av.value();
  const Tensor& b = bv.value();
  if (a.numel() != b.numel()) SSLKIT_FAIL(std::string("mul ") + shape_str(a.shape()) + " and " + shape_str(b.shape()));
  const int64_t n = a.numel();
  Tensor y(a.shape(), a.dtype());
#pragma omp parallel for if (n > kParallel)
  for (int64_t i = 0; i < n; ++i) store(y, i, load(a, i) * load(b, i));
  return make_result(y, {av, bv}, [=](Node& nd) {
    for (int k = 0; k < 2; ++k) {
      if (!nd.inputs[k]->requires_grad) continue;
      const Tensor& other = k == 0 ? b : a;
      Tensor g(nd.inputs[k]->value.shape(), nd.inputs[k]->value.dtype());
#pragma omp parallel for if (n > kParallel)
      for (int64_t i = 0; i < n; ++i) store(g, i, load(nd.grad, i) * load(other, i));
      nd.inputs[k]->accumulate(g);
    }
  });
}

Var scale(const Var& xv, float s) {
  const Tensor& x = xv.value();
  const int64_t n = x.numel();
  Tensor y(x.shape(), x.dtype());
#pragma omp parallel for if (n > kParallel)
  for (int64_t i = 0; i < n; ++i) store(y, i, load(x, i) * s);
  return make_result(y, {xv}, [=](Node& nd) {
    Tensor g(nd.grad.shape(), nd.grad.dtype());
#pragma omp parallel for if (n > kParallel)
    for (int64_t i = 0; i < n; ++i) store(g, i, load(nd.grad, i) * s);
    nd.inputs[0]->accumulate(g);
  });
}

Var cast(const Var& xv, DType dtype) {
  if (xv.dtype() == dtype) return xv;
  const DType from = xv.dtype();
  return make_result(xv.value().to(dtype), {xv}, [from](Node& nd) { nd.inputs[0]->accumulate(nd.grad.to(from)); });
}

Var reshape(const Var& xv, const Shape& shape) {
  const Shape from = xv.shape();
  return make_result(xv.value().reshape(shape), {xv},
                     [from](Node& nd) { nd.inputs[0]->accumulate(nd.grad.reshape(from)); });
}

Var sum(const Var& xv) {
  const Tensor& x = xv.value();
  const int64_t n = x.numel();
  double s = 0;
#pragma omp parallel for reduction(+ : s) if (n > kParallel)
  for (int64_t i = 0; i < n; ++i) s += load(x, i);
  return make_result(Tensor::full({1}, static_cast<float>(s)), {xv}, [=](Node& nd) {
    nd.inputs[0]->accumulate(Tensor::full(x.shape(), nd.grad.item(), x.dtype()));
  });
}

Var mean(const Var& x) { return scale(sum(x), 1.0f / static_cast<float>(x.value().numel())); }

Var scale_grad(const Var& xv, float s) {
  // The forward shares x's buffer, as reshape does: nothing writes into an
  // op's output, and accumulate copies a shared gradient before adding.
  return make_result(xv.value(), {xv}, [s](Node& nd) {
    const Tensor& dy = nd.grad;
    const int64_t n = dy.numel();
    Tensor g(dy.shape(), dy.dtype());
#pragma omp parallel for if (n > kParallel)
    for (int64_t i = 0; i < n; ++i) store(g, i, load(dy, i) * s);
    nd.inputs[0]->accumulate(g);
  });
}

}  // namespace sslkit::nn
