// Group normalisation over time, channels-last (PyTorch's GroupNorm on
// [N,C,T]; wav2vec 2.0's first feature layer, one group per channel over a
// whole clip). oneDNN's group normalisation wants channels-first, so plain
// loops. Every pass walks a sample's rows in memory order with per-channel
// sums, one sample per OpenMP iteration: a sample (3199 x 512 bf16, 3 MB
// for a one-second clip) stays in cache between the passes. Walking each
// (sample, group) down the time axis instead read one value of every cache
// line: measured 166 of 420 ms of a w2v-mini bf16 step (batch 32).
// Statistics in double, bf16 through load/store.
#include <omp.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

namespace {

constexpr int64_t kParallel = 1 << 14;

}  // namespace

Var group_norm(const Var& xv, int64_t groups, const Var& gv, const Var& bv, float eps) {
  OpTimer timer("group_norm.fwd");
  const Tensor& x = xv.value();
  if (x.rank() != 3) SSLKIT_FAIL(std::string("group_norm of ") + shape_str(x.shape()) + ", not [N,T,C]");
  const int64_t N = x.dim(0), T = x.dim(1), C = x.dim(2);
  if (groups <= 0 || C % groups != 0)
    SSLKIT_FAIL("group_norm of " + std::to_string(C) + " channels in " + std::to_string(groups) + " groups");
  if (gv.value().numel() != C || bv.value().numel() != C)
    SSLKIT_FAIL(std::string("group_norm parameters ") + shape_str(gv.shape()) + ", " + shape_str(bv.shape()) +
                " for input " + shape_str(x.shape()));
  const int64_t G = groups, Cg = C / G;
  const double count = static_cast<double>(T * Cg);
  const std::vector<float> gamma = gv.value().to_vector(), beta = bv.value().to_vector();
  // Per (sample, channel): its group's mean and 1/sqrt(var + eps), kept for the backward.
  std::vector<float> mean(N * C), rstd(N * C);
  Tensor y(x.shape(), x.dtype());
#pragma omp parallel for schedule(static) if (x.numel() > kParallel)
  for (int64_t n = 0; n < N; ++n) {
    const int64_t base = n * T * C;
    // Two passes (the sums, then the squares about the mean): T x Cg values
    // can be many (a whole utterance).
    std::vector<double> s(C, 0.0), q(C, 0.0), gm(G, 0.0), gq(G, 0.0);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t c = 0; c < C; ++c) s[c] += load(x, base + t * C + c);
    for (int64_t c = 0; c < C; ++c) gm[c / Cg] += s[c];
    for (int64_t g = 0; g < G; ++g) gm[g] /= count;
    std::vector<float> m(C), a(C), b(C);
    for (int64_t c = 0; c < C; ++c) m[c] = static_cast<float>(gm[c / Cg]);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t c = 0; c < C; ++c) {
        const double d = load(x, base + t * C + c) - m[c];
        q[c] += d * d;
      }
    for (int64_t c = 0; c < C; ++c) gq[c / Cg] += q[c];
    for (int64_t c = 0; c < C; ++c) {
      const double r = 1.0 / std::sqrt(gq[c / Cg] / count + eps);  // biased variance, as PyTorch
      mean[n * C + c] = m[c];
      rstd[n * C + c] = static_cast<float>(r);
      a[c] = static_cast<float>(r * gamma[c]);  // y = (x - m) r gamma + beta = x a + b
      b[c] = static_cast<float>(beta[c] - gm[c / Cg] * r * gamma[c]);
    }
    for (int64_t t = 0; t < T; ++t)
      for (int64_t c = 0; c < C; ++c) {
        const int64_t i = base + t * C + c;
        store(y, i, load(x, i) * a[c] + b[c]);
      }
  }
  return make_result(y, {xv, gv, bv}, [=](Node& nd) {
    OpTimer tm("group_norm.bwd");
    const Tensor& dy = nd.grad;
    const bool want_dx = nd.inputs[0]->requires_grad;
    // One pass over a sample's rows gives, per channel, the sums the input's
    // gradient needs (of h = dy gamma and h xhat) and its share of dgamma =
    // sum dy xhat and dbeta = sum dy (per thread, added in thread order: a
    // run is reproducible); a second pass writes dx = rstd (h - mean(h) -
    // xhat mean(h xhat)), the means over the group's count values.
    const int threads = x.numel() > kParallel ? omp_get_max_threads() : 1;
    std::vector<double> dg_part(static_cast<size_t>(threads) * C, 0.0), db_part(static_cast<size_t>(threads) * C, 0.0);
    Tensor dx = want_dx ? Tensor(x.shape(), x.dtype()) : Tensor();
#pragma omp parallel num_threads(threads)
    {
      double* dgl = &dg_part[static_cast<size_t>(omp_get_thread_num()) * C];
      double* dbl = &db_part[static_cast<size_t>(omp_get_thread_num()) * C];
      std::vector<double> sh(C), shx(C), gh(G), ghx(G);
      std::vector<float> mh(C), mhx(C);
#pragma omp for schedule(static)
      for (int64_t n = 0; n < N; ++n) {
        const int64_t base = n * T * C;
        const float* m = &mean[n * C];
        const float* r = &rstd[n * C];
        std::fill(sh.begin(), sh.end(), 0.0);
        std::fill(shx.begin(), shx.end(), 0.0);
        for (int64_t t = 0; t < T; ++t)
          for (int64_t c = 0; c < C; ++c) {
            const int64_t i = base + t * C + c;
            const double d = load(dy, i), xh = (load(x, i) - m[c]) * r[c];
            sh[c] += d * gamma[c];
            shx[c] += d * gamma[c] * xh;
            dgl[c] += d * xh;
            dbl[c] += d;
          }
        if (!want_dx) continue;
        std::fill(gh.begin(), gh.end(), 0.0);
        std::fill(ghx.begin(), ghx.end(), 0.0);
        for (int64_t c = 0; c < C; ++c) gh[c / Cg] += sh[c], ghx[c / Cg] += shx[c];
        for (int64_t c = 0; c < C; ++c) {
          mh[c] = static_cast<float>(gh[c / Cg] / count);
          mhx[c] = static_cast<float>(ghx[c / Cg] / count);
        }
        for (int64_t t = 0; t < T; ++t)
          for (int64_t c = 0; c < C; ++c) {
            const int64_t i = base + t * C + c;
            const float xh = (load(x, i) - m[c]) * r[c];
            store(dx, i, r[c] * (load(dy, i) * gamma[c] - mh[c] - xh * mhx[c]));
          }
      }
    }
    if (want_dx) nd.inputs[0]->accumulate(dx);
    if (nd.inputs[1]->requires_grad || nd.inputs[2]->requires_grad) {
      Tensor dg({C}, DType::f32), db({C}, DType::f32);
      for (int64_t c = 0; c < C; ++c) {
        double sg = 0, sb = 0;
        for (int th = 0; th < threads; ++th) sg += dg_part[static_cast<size_t>(th) * C + c], sb += db_part[static_cast<size_t>(th) * C + c];
        dg.f32()[c] = static_cast<float>(sg);
        db.f32()[c] = static_cast<float>(sb);
      }
      // accumulate converts to the parameters' own dtype (f32 master weights).
      if (nd.inputs[1]->requires_grad) nd.inputs[1]->accumulate(dg.reshape(nd.inputs[1]->value.shape()));
      if (nd.inputs[2]->requires_grad) nd.inputs[2]->accumulate(db.reshape(nd.inputs[2]->value.shape()));
    }
  });
}

}  // namespace sslkit::nn
