#include "methods/dino_loss.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/dist.hpp"
#include "core/error.hpp"
#include "nn/ops.hpp"

namespace sslkit::methods {

nn::Tensor dino_teacher_probs(const nn::Tensor& logits, const nn::Tensor& center, float temperature) {
  SSLKIT_CHECK(logits.dtype() == nn::DType::f32 && logits.rank() == 2, "teacher logits must be f32 [N,K]");
  const int64_t N = logits.dim(0), K = logits.dim(1);
  SSLKIT_CHECK(center.numel() == K, "the centre has " + std::to_string(center.numel()) + " entries for " +
                                        std::to_string(K) + " prototypes");
  nn::Tensor p({N, K}, nn::DType::f32);
  const float* x = logits.f32();
  const float* c = center.f32();
  float* out = p.f32();
  for (int64_t i = 0; i < N; ++i) {
    // In double: at temperature 0.04 the exponents span 50 nats.
    double mx = -INFINITY;
    for (int64_t k = 0; k < K; ++k) mx = std::max(mx, (static_cast<double>(x[i * K + k]) - c[k]) / temperature);
    double s = 0;
    for (int64_t k = 0; k < K; ++k) s += std::exp((static_cast<double>(x[i * K + k]) - c[k]) / temperature - mx);
    for (int64_t k = 0; k < K; ++k)
      out[i * K + k] = static_cast<float>(std::exp((static_cast<double>(x[i * K + k]) - c[k]) / temperature - mx) / s);
  }
  return p;
}

nn::Var dino_cross_entropy(const nn::Var& student_logits, const nn::Tensor& teacher_probs, int64_t views,
                           float student_temperature, bool same_views) {
  const nn::Shape& s = student_logits.shape();
  SSLKIT_CHECK(s.size() == 2 && views > 0 && s[0] % views == 0, "student logits must be [views*B, K]");
  const int64_t B = s[0] / views, K = s[1];
  SSLKIT_CHECK(teacher_probs.rank() == 2 && teacher_probs.dim(1) == K && teacher_probs.dim(0) % B == 0,
               "teacher probabilities must be [T*B, K] for the student's B rows a view");
  const int64_t T = teacher_probs.dim(0) / B;
  SSLKIT_CHECK(T >= 1 && T <= views, "more teacher views than student views");
  const int64_t pairs = same_views ? T * views - T : T * views;
  SSLKIT_CHECK(pairs > 0, "DINO needs a teacher view and another student view");
  // The cross-entropy is linear in its target: the pairs of student view v
  // are one term against the sum of the teacher's views other than v. One
  // log-softmax and one product over every row, where the reference loops
  // over the pairs.
  nn::Tensor target = nn::Tensor::zeros({views * B, K});
  float* tg = target.f32();
  const float* tp = teacher_probs.f32();
  for (int64_t v = 0; v < views; ++v)
    for (int64_t t = 0; t < T; ++t) {
      if (same_views && t == v) continue;
      float* dst = tg + v * B * K;
      const float* src = tp + t * B * K;
      for (int64_t i = 0; i < B * K; ++i) dst[i] += src[i];
    }
  nn::Var logp = nn::log_softmax(nn::scale(nn::cast(student_logits, nn::DType::f32), 1.0f / student_temperature));
  nn::Var total = nn::sum(nn::mul(nn::Var(target), logp));
  return nn::scale(total, -1.0f / static_cast<float>(pairs * B));
}

nn::Tensor dino_batch_center(const nn::Tensor& teacher_logits) {
  SSLKIT_CHECK(teacher_logits.dtype() == nn::DType::f32 && teacher_logits.rank() == 2, "teacher logits must be f32 [N,K]");
  const int64_t N = teacher_logits.dim(0), K = teacher_logits.dim(1);
  // Sums in double, then the rows of every rank: the centre is the global
  // batch's (DINO all-reduces the sum and divides by the world's rows).
  std::vector<double> sums(static_cast<size_t>(K) + 1, 0.0);
  const float* x = teacher_logits.f32();
  for (int64_t i = 0; i < N; ++i)
    for (int64_t k = 0; k < K; ++k) sums[k] += x[i * K + k];
  sums[K] = static_cast<double>(N);
  dist::allreduce_sum(sums.data(), sums.size());
  nn::Tensor c({K}, nn::DType::f32);
  for (int64_t k = 0; k < K; ++k) c.f32()[k] = static_cast<float>(sums[k] / std::max(1.0, sums[K]));
  return c;
}

void dino_update_center(nn::Tensor& center, const nn::Tensor& batch_center, double momentum) {
  SSLKIT_CHECK(center.numel() == batch_center.numel(), "centre sizes differ");
  const float m = static_cast<float>(momentum), rest = static_cast<float>(1 - momentum);
  for (int64_t k = 0; k < center.numel(); ++k) center.f32()[k] = m * center.f32()[k] + rest * batch_center.f32()[k];
}

double dino_teacher_temperature(double fraction, double start, double end, double warmup) {
  const double f = std::clamp(fraction, 0.0, 1.0);
  if (warmup <= 0 || f >= warmup) return end;
  return start + (end - start) * f / warmup;
}

double mean_entropy(const nn::Tensor& probs) {
  const int64_t N = probs.dim(0), K = probs.dim(1);
  double h = 0;
  for (int64_t i = 0; i < N * K; ++i) {
    const double p = probs.f32()[i];
    if (p > 0) h -= p * std::log(p);
  }
  (void)K;
  return N > 0 ? h / static_cast<double>(N) : 0.0;
}

}  // namespace sslkit::methods
