// The element-wise sum of a tensor over the ranks of an MPI job (core/dist),
// differentiable: the op behind statistics of the global batch (Barlow
// Twins' cross-correlation, VICReg's variance and covariance, EMP's coding
// rate). One process: its input unchanged, no op recorded.
#include "core/dist.hpp"
#include "core/error.hpp"
#include "nn/ops.hpp"
#include "nn/ops_sum_ranks.hpp"

namespace sslkit::nn {

Var sum_ranks(const Var& x) {
  if (dist::size() == 1) return x;
  const Tensor& v = x.value();
  if (v.dtype() != DType::f32) SSLKIT_FAIL(std::string("sum_ranks of ") + shape_str(v.shape()) + " (f32 only)");
  Tensor y = v.clone();
  dist::allreduce_sum(y.f32(), static_cast<size_t>(y.numel()));
  return make_result(y, {x}, [](Node& node) {
    // y = sum_s x_s and every rank s computes its loss L_s from the same y.
    // The job's objective is sum_s L_s (the trainer sums the ranks'
    // gradients), so dObjective/dx_r = sum_s dL_s/dy: an all-reduce of the
    // gradient, not the identity. The identity (a non-differentiable
    // all-reduce, lightly#1977) keeps only rank r's own dL_r/dy, which is
    // 1/K of it when every rank computes the same loss: off by the world size.
    Tensor g = node.grad.clone();
    dist::allreduce_sum(g.f32(), static_cast<size_t>(g.numel()));
    node.inputs[0]->accumulate(g);
  });
}

}  // namespace sslkit::nn
