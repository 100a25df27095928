// Rows of a sequence replaced by one embedding where a mask says (wav2vec
// 2.0's learned mask embedding at masked frames; zeros at padded ones).
// Plain loops, OpenMP over rows; bf16 activations through load/store, the
// embedding f32.
#include <vector>

#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

namespace {

constexpr int64_t kParallel = 1 << 14;

}  // namespace

Var replace_masked(const Var& xv, const std::vector<uint8_t>& mask, const Var& ev) {
  OpTimer timer("replace_masked.fwd");
  const Tensor& x = xv.value();
  const Tensor& emb = ev.value();
  if (x.rank() != 3) SSLKIT_FAIL(std::string("replace_masked of ") + shape_str(x.shape()) + ", not [B,T,D]");
  const int64_t D = x.dim(2), R = x.dim(0) * x.dim(1);
  if (static_cast<int64_t>(mask.size()) != R)
    SSLKIT_FAIL("replace_masked mask of " + std::to_string(mask.size()) + " for " + std::to_string(R) + " rows");
  if (emb.dtype() != DType::f32 || emb.numel() != D)
    SSLKIT_FAIL(std::string("replace_masked embedding ") + shape_str(emb.shape()) + " " + dtype_name(emb.dtype()) +
                " for rows of " + std::to_string(D) + " (needs f32 [D])");
  Tensor y(x.shape(), x.dtype());
  const float* e = emb.f32();
#pragma omp parallel for if (x.numel() > kParallel)
  for (int64_t r = 0; r < R; ++r)
    for (int64_t d = 0; d < D; ++d) store(y, r * D + d, mask[r] ? e[d] : load(x, r * D + d));
  return make_result(y, {xv, ev}, [mask, R, D](Node& nd) {
    const Tensor& dy = nd.grad;
    if (nd.inputs[0]->requires_grad) {
      // Replaced rows do not depend on x.
      Tensor dx(dy.shape(), dy.dtype());
#pragma omp parallel for if (R * D > kParallel)
      for (int64_t r = 0; r < R; ++r)
        for (int64_t d = 0; d < D; ++d) store(dx, r * D + d, mask[r] ? 0.f : load(dy, r * D + d));
      nd.inputs[0]->accumulate(dx);
    }
    if (nd.inputs[1]->requires_grad) {
      // Every replaced row is a copy of emb: its gradient is their sum, in
      // f32 whatever dy is; parallel over columns so threads never collide.
      Tensor de = Tensor::zeros({D});
#pragma omp parallel for if (R * D > kParallel)
      for (int64_t d = 0; d < D; ++d) {
        double s = 0;
        for (int64_t r = 0; r < R; ++r)
          if (mask[r]) s += load(dy, r * D + d);
        de.f32()[d] = static_cast<float>(s);
      }
      nd.inputs[1]->accumulate(de.reshape(nd.inputs[1]->value.shape()));
    }
  });
}

}  // namespace sslkit::nn
