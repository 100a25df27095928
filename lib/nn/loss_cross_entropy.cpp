// Mean cross-entropy of logits [N,K] against integer targets, fused with
// its log-softmax (stable: max subtracted); rows whose target is
// ignore_index count for nothing (BERT's -100 convention).
#include <cmath>

#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

Var cross_entropy(const Var& lv, const std::vector<int32_t>& targets, int32_t ignore_index) {
  OpTimer timer("loss.cross_entropy");
  const Tensor& logits = lv.value();
  const int64_t K = logits.dim(-1), N = logits.numel() / K;
  if (static_cast<int64_t>(targets.size()) != N)
    SSLKIT_FAIL(std::string("cross_entropy with ") + std::to_string(targets.size()) + " targets for " +
                        std::to_string(N) + " rows");
  Tensor prob({N, K}, DType::f32);
  double loss = 0;
  int64_t counted = 0;
  for (int64_t i = 0; i < N; ++i) {
    if (targets[i] == ignore_index) continue;
    if (targets[i] < 0 || targets[i] >= K)
      throw Error("", "target " + std::to_string(targets[i]) + " outside 0.." + std::to_string(K - 1));
    ++counted;
  }
#pragma omp parallel for reduction(+ : loss) if (N * K > 16384)
  for (int64_t i = 0; i < N; ++i) {
    float mx = -INFINITY;
    for (int64_t k = 0; k < K; ++k) mx = std::max(mx, load(logits, i * K + k));
    double z = 0;
    for (int64_t k = 0; k < K; ++k) z += std::exp(static_cast<double>(load(logits, i * K + k) - mx));
    for (int64_t k = 0; k < K; ++k)
      prob.f32()[i * K + k] = static_cast<float>(std::exp(static_cast<double>(load(logits, i * K + k) - mx)) / z);
    if (targets[i] != ignore_index) loss += std::log(z) - (load(logits, i * K + targets[i]) - mx);
  }
  const double denom = counted > 0 ? static_cast<double>(counted) : 1.0;
  Tensor out = Tensor::full({1}, static_cast<float>(loss / denom));
  return make_result(out, {lv}, [=](Node& n) {
    const float g = static_cast<float>(n.grad.item() / denom);
    Tensor d(logits.shape(), logits.dtype());
#pragma omp parallel for if (N * K > 16384)
    for (int64_t i = 0; i < N; ++i)
      for (int64_t k = 0; k < K; ++k) {
        float v = targets[i] == ignore_index ? 0.f : g * (prob.f32()[i * K + k] - (k == targets[i] ? 1.f : 0.f));
        store(d, i * K + k, v);
      }
    n.inputs[0]->accumulate(d);
  });
}

}  // namespace sslkit::nn
