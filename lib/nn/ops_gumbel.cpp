// The straight-through Gumbel-softmax (wav2vec 2.0's quantizer picks its
// codes with it). oneDNN has no such op: plain loops, OpenMP over rows, the
// noise drawn serially.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

namespace {

constexpr int64_t kParallel = 1 << 14;

}  // namespace

Var gumbel_softmax_st(const Var& lv, int64_t groups, float tau, bool training, Rng& rng) {
  OpTimer timer("gumbel_softmax_st.fwd");
  const Tensor& logits = lv.value();
  if (logits.rank() != 2 || logits.dtype() != DType::f32)
    SSLKIT_FAIL(std::string("gumbel_softmax_st of ") + shape_str(logits.shape()) + " " +
                dtype_name(logits.dtype()) + ", not f32 [N,G*V]");
  const int64_t N = logits.dim(0), GV = logits.dim(1);
  if (groups <= 0 || GV % groups != 0)
    SSLKIT_FAIL("gumbel_softmax_st of " + std::to_string(GV) + " logits in " + std::to_string(groups) + " groups");
  if (!(tau > 0)) SSLKIT_FAIL("gumbel_softmax_st temperature " + std::to_string(tau));
  const int64_t V = GV / groups, rows = N * groups;
  // The noise is drawn serially from the caller's Rng: the
  // same seed gives the same codes whatever the thread count. u is clamped
  // away from 0 and 1 so g = -log(-log(u)) stays finite.
  std::vector<float> noise;
  if (training) {
    noise.resize(N * GV);
    for (auto& g : noise) {
      const double u = std::min(std::max(rng.uniform(), 1e-10), 1.0 - 1e-10);
      g = static_cast<float>(-std::log(-std::log(u)));
    }
  }
  // p: the soft sample softmax((logits + g) / tau), which the backward needs.
  auto p = std::make_shared<std::vector<float>>(N * GV);
  Tensor y = Tensor::zeros(logits.shape());
  const float* l = logits.f32();
#pragma omp parallel for if (N * GV > kParallel)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t o = r * V;  // groups are contiguous in a row: row n group g starts at (n*G + g)*V
    float* pr = p->data() + o;
    float mx = -INFINITY;
    int64_t arg = 0;
    for (int64_t v = 0; v < V; ++v) {
      pr[v] = (l[o + v] + (training ? noise[o + v] : 0.f)) / tau;
      if (pr[v] > mx) mx = pr[v], arg = v;  // the first of equal maxima, as torch.argmax
    }
    double z = 0;
    for (int64_t v = 0; v < V; ++v) z += std::exp(static_cast<double>(pr[v] - mx));
    for (int64_t v = 0; v < V; ++v) pr[v] = static_cast<float>(std::exp(static_cast<double>(pr[v] - mx)) / z);
    y.f32()[o + arg] = 1.f;
  }
  return make_result(y, {lv}, [p, rows, V, tau, shape = logits.shape()](Node& nd) {
    // Straight-through: the forward is y_hard - sg(y_soft) + y_soft, so the
    // gradient is that of y_soft alone: per group
    // dlogits = p (dy - <p, dy>) / tau.
    const Tensor& dy = nd.grad;
    Tensor dl(shape, DType::f32);
#pragma omp parallel for if (rows * V > kParallel)
    for (int64_t r = 0; r < rows; ++r) {
      const float* pr = p->data() + r * V;
      double dot = 0;
      for (int64_t v = 0; v < V; ++v) dot += static_cast<double>(pr[v]) * load(dy, r * V + v);
      for (int64_t v = 0; v < V; ++v)
        dl.f32()[r * V + v] = static_cast<float>(pr[v] * (load(dy, r * V + v) - dot) / tau);
    }
    nd.inputs[0]->accumulate(dl);
  });
}

}  // namespace sslkit::nn
