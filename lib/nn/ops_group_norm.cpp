// Group normalisation over time, channels-last (PyTorch's GroupNorm on
// [N,C,T]; wav2vec 2.0's first feature layer). oneDNN's group normalisation
// wants channels-first, so plain loops, OpenMP over (sample, group); bf16
// through load/store, statistics in f32.
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
  const int64_t G = groups, Cg = C / G, NG = N * G;
  const double count = static_cast<double>(T * Cg);
  const std::vector<float> gamma = gv.value().to_vector(), beta = bv.value().to_vector();
  // Per (sample, group): the mean and 1/sqrt(var + eps), kept for the backward.
  std::vector<float> mean(NG), rstd(NG);
  Tensor y(x.shape(), x.dtype());
#pragma omp parallel for if (x.numel() > kParallel)
  for (int64_t ng = 0; ng < NG; ++ng) {
    const int64_t n = ng / G, c0 = (ng % G) * Cg;
    // Two passes in double: T x Cg values can be many (a whole utterance).
    double s = 0;
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < Cg; ++j) s += load(x, (n * T + t) * C + c0 + j);
    const double m = s / count;
    double v = 0;
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < Cg; ++j) {
        const double d = load(x, (n * T + t) * C + c0 + j) - m;
        v += d * d;
      }
    const double r = 1.0 / std::sqrt(v / count + eps);  // biased variance, as PyTorch
    mean[ng] = static_cast<float>(m);
    rstd[ng] = static_cast<float>(r);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < Cg; ++j) {
        const int64_t i = (n * T + t) * C + c0 + j;
        store(y, i, static_cast<float>((load(x, i) - m) * r) * gamma[c0 + j] + beta[c0 + j]);
      }
  }
  return make_result(y, {xv, gv, bv}, [=](Node& nd) {
    OpTimer tm("group_norm.bwd");
    const Tensor& dy = nd.grad;
    auto xhat = [&](int64_t i, int64_t ng) { return (load(x, i) - mean[ng]) * rstd[ng]; };
    if (nd.inputs[0]->requires_grad) {
      // With h = dy * gamma and xhat the normalised input of one group of
      // count values: dx = rstd (h - mean(h) - xhat mean(h xhat)).
      Tensor dx(x.shape(), x.dtype());
#pragma omp parallel for if (x.numel() > kParallel)
      for (int64_t ng = 0; ng < NG; ++ng) {
        const int64_t n = ng / G, c0 = (ng % G) * Cg;
        double sh = 0, shx = 0;
        for (int64_t t = 0; t < T; ++t)
          for (int64_t j = 0; j < Cg; ++j) {
            const int64_t i = (n * T + t) * C + c0 + j;
            const double h = static_cast<double>(load(dy, i)) * gamma[c0 + j];
            sh += h;
            shx += h * xhat(i, ng);
          }
        const double mh = sh / count, mhx = shx / count;
        for (int64_t t = 0; t < T; ++t)
          for (int64_t j = 0; j < Cg; ++j) {
            const int64_t i = (n * T + t) * C + c0 + j;
            const double h = static_cast<double>(load(dy, i)) * gamma[c0 + j];
            store(dx, i, static_cast<float>(rstd[ng] * (h - mh - xhat(i, ng) * mhx)));
          }
      }
      nd.inputs[0]->accumulate(dx);
    }
    if (nd.inputs[1]->requires_grad || nd.inputs[2]->requires_grad) {
      // dgamma_c = sum over (n,t) of dy xhat, dbeta_c = sum of dy; one channel
      // per iteration so no two threads write one element.
      Tensor dg({C}, DType::f32), db({C}, DType::f32);
#pragma omp parallel for if (x.numel() > kParallel)
      for (int64_t c = 0; c < C; ++c) {
        double sg = 0, sb = 0;
        for (int64_t n = 0; n < N; ++n) {
          const int64_t ng = n * G + c / Cg;
          for (int64_t t = 0; t < T; ++t) {
            const int64_t i = (n * T + t) * C + c;
            const double d = load(dy, i);
            sg += d * xhat(i, ng);
            sb += d;
          }
        }
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
