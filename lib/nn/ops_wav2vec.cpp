// The ops of wav2vec 2.0's feature encoder and quantizer that oneDNN does not
// have: group normalisation over time (channels-last), the feature gradient
// multiplier, the mask embedding and the straight-through Gumbel-softmax.
// Plain loops, OpenMP over (sample, group) or rows; bf16 through load/store.
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

// ---- group_norm ----

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

// ---- scale_grad ----

Var scale_grad(const Var& xv, float s) {
  // The forward shares x's buffer, as reshape does: nothing writes into an
  // op's output, and accumulate copies a shared gradient before adding.
  return make_result(xv.value(), {xv}, [s](Node& nd) {
    const Tensor& dy = nd.grad;
    const int64_t n = dy.numel();
    Tensor g(dy.shape(), dy.dtype());
#pragma omp parallel for if (n > kParallel)
    for (int64_t i = 0; i < n; ++i) store(g, i, load(dy, i) * s);
    nd.inputs[0]->accumulate(g);
  });
}

// ---- replace_masked ----

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

// ---- gumbel_softmax_st ----

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
  // The noise is drawn serially from the caller's Rng (as dropout's mask): the
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
