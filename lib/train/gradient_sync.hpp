// Data-parallel training's one exchange: after backward, every rank's
// gradients become the gradient of the global batch's loss, and every rank
// then takes the same optimizer step (docs/scale-out.md).
//
// Rank r's loss is the mean of w_r terms (rows, masked tokens, masked
// frames); the global batch's loss is their mean over all W = sum w_r terms,
// sum_r (w_r / W) loss_r, and its gradient sum_r (w_r / W) grad_r: each rank
// scales its gradient by w_r / W and the ranks sum. With equal w_r that is the
// average of the ranks' gradients. A loss whose collective ops already span
// the global batch (gathered negatives, all-reduced statistics) follows the
// same rule, the backward of those ops summing over ranks.
#pragma once
#include <cstddef>
#include <vector>

#include "methods/method.hpp"
#include "nn/var.hpp"

namespace sslkit::train {

// How many terms the loss of `b` averages over: the masked tokens of a text
// batch with MLM labels, the masked frames of an audio batch with span
// masks, else its rows.
double loss_terms(const methods::Batch& b);

class GradientSync {
 public:
  // `bucket_floats`: the size of each all-reduce; a few large buffers, not
  // one call per parameter (each call costs a latency).
  explicit GradientSync(std::vector<nn::Var*> params, size_t bucket_floats = size_t{1} << 22);
  // Replaces every parameter's gradient by the sum over ranks of `scale`
  // times it. A gradient that backward did not reach on this rank counts as
  // zero, and is defined after the call on every rank when it was on one
  // (every rank's optimizer then updates the same parameters).
  void all_reduce(double scale);
  // Bytes of one all-reduce of all gradients.
  size_t bytes() const;

 private:
  std::vector<nn::Var*> params_;
  std::vector<float> buffer_;
  size_t bucket_floats_;
};

}  // namespace sslkit::train
