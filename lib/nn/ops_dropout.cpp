// Inverted dropout: each element is zeroed with probability p and the rest
// scaled by 1/(1-p), so eval needs no rescaling. The mask is drawn in
// blocks, each from its own generator seeded by one draw of the caller's
// Rng and the block's index: the same seed gives the same mask whatever
// the thread count, and the blocks are drawn in parallel (a SimCSE step on
// bert-mini draws some 70 million). Each 64-bit draw gives four 16-bit
// uniforms, so p is taken to the nearest 1/65536.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

namespace {
constexpr int64_t kMaskBlock = 1 << 14;
}  // namespace

Var dropout(const Var& xv, float p, bool training, Rng& rng) {
  if (!(p >= 0 && p <= 1)) SSLKIT_FAIL(std::string("dropout probability ") + std::to_string(p));
  if (!training || p == 0) return xv;  // the identity, no copy and no tape node
  OpTimer timer("dropout.fwd");
  const Tensor& x = xv.value();
  const int64_t n = x.numel();
  // p == 1 drops everything (PyTorch returns zeros), not 0 * inf.
  const float keep_scale = p < 1 ? 1.0f / (1.0f - p) : 0.0f;
  const uint32_t drop_below = static_cast<uint32_t>(std::lround(static_cast<double>(p) * 65536.0));
  const uint64_t seed = rng.next();
  auto mask = std::make_shared<std::vector<uint8_t>>(n);
  const int64_t blocks = (n + kMaskBlock - 1) / kMaskBlock;
#pragma omp parallel for if (blocks > 1)
  for (int64_t b = 0; b < blocks; ++b) {
    Rng block(seed, static_cast<uint64_t>(b));
    const int64_t end = std::min(n, (b + 1) * kMaskBlock);
    uint64_t bits = 0;
    for (int64_t i = b * kMaskBlock, k = 0; i < end; ++i, ++k) {
      if (k % 4 == 0) bits = block.next();
      (*mask)[i] = (bits & 0xFFFF) < drop_below ? 0 : 1;
      bits >>= 16;
    }
  }
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
