// L2 normalisation over the last axis as a plain row loop (oneDNN has no
// such primitive; layernorm and softmax are oneDNN primitives in
// ops_layernorm.cpp and ops_softmax.cpp). Rows are independent, so they
// parallelise over rows; every row is read in f32 whatever the storage dtype.
#include <cmath>

#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

Var l2_normalize(const Var& xv, float eps) {
  const Tensor& x = xv.value();
  const int64_t C = x.dim(-1), R = x.numel() / C;
  Tensor y(x.shape(), x.dtype()), norm({R}, DType::f32);
#pragma omp parallel for if (R > 64)
  for (int64_t r = 0; r < R; ++r) {
    double s = 0;
    for (int64_t c = 0; c < C; ++c) s += std::pow(load(x, r * C + c), 2);
    float nr = static_cast<float>(std::max(std::sqrt(s), static_cast<double>(eps)));
    norm.f32()[r] = nr;
    for (int64_t c = 0; c < C; ++c) store(y, r * C + c, load(x, r * C + c) / nr);
  }
  return make_result(y, {xv}, [=](Node& n) {
    const Tensor& g = n.grad;
    Tensor dx(x.shape(), x.dtype());
#pragma omp parallel for if (R > 64)
    for (int64_t r = 0; r < R; ++r) {
      // d(x/|x|) = (g - y <y,g>) / |x|.
      double dot = 0;
      for (int64_t c = 0; c < C; ++c) dot += static_cast<double>(load(y, r * C + c)) * load(g, r * C + c);
      for (int64_t c = 0; c < C; ++c)
        store(dx, r * C + c, static_cast<float>((load(g, r * C + c) - load(y, r * C + c) * dot) / norm.f32()[r]));
    }
    n.inputs[0]->accumulate(dx);
  });
}

}  // namespace sslkit::nn
