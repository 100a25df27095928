// Inverted dropout: each element is zeroed with probability p and the rest
// scaled by 1/(1-p), so eval needs no rescaling. The mask is drawn serially
// from the caller's Rng: the same seed gives the same mask whatever the
// thread count.
#include <vector>

#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

Var dropout(const Var& xv, float p, bool training, Rng& rng) {
  if (!(p >= 0 && p <= 1)) SSLKIT_FAIL(std::string("dropout probability ") + std::to_string(p));
  if (!training || p == 0) return xv;  // the identity, no copy and no tape node
  OpTimer timer("dropout.fwd");
  const Tensor& x = xv.value();
  const int64_t n = x.numel();
  // p == 1 drops everything (PyTorch returns zeros), not 0 * inf.
  const float keep_scale = p < 1 ? 1.0f / (1.0f - p) : 0.0f;
  auto mask = std::make_shared<std::vector<uint8_t>>(n);
  for (int64_t i = 0; i < n; ++i) (*mask)[i] = rng.bernoulli(p) ? 0 : 1;
  Tensor y(x.shape(), x.dtype());
#pragma omp parallel for if (n > 65536)
  for (int64_t i = 0; i < n; ++i) store(y, i, (*mask)[i] ? load(x, i) * keep_scale : 0.0f);
  return make_result(y, {xv}, [mask, keep_scale, n](Node& nd) {
    const Tensor& dy = nd.grad;
    Tensor g(dy.shape(), dy.dtype());
#pragma omp parallel for if (n > 65536)
    for (int64_t i = 0; i < n; ++i) store(g, i, (*mask)[i] ? load(dy, i) * keep_scale : 0.0f);
    nd.inputs[0]->accumulate(g);
  });
}

}  // namespace sslkit::nn
