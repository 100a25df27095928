// Ops over the last axis written as plain row loops: layernorm, softmax,
// log-softmax, L2 normalisation. Rows are independent, so they parallelise
// over rows; every row is read in f32 whatever the storage dtype.
#include <cmath>

#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

Var layernorm(const Var& xv, const Var& gamma, const Var& beta, float eps) {
  OpTimer timer("layernorm.fwd");
  const Tensor& x = xv.value();
  const int64_t C = x.dim(-1), R = x.numel() / C;
  if (gamma.value().numel() != C) throw Error("", "internal: layernorm parameters for " + std::to_string(C));
  Tensor y(x.shape(), x.dtype()), xhat({R, C}, DType::f32), rstd({R}, DType::f32);
  const float* g = gamma.value().f32();
  const float* b = beta.value().f32();
#pragma omp parallel for if (R > 64)
  for (int64_t r = 0; r < R; ++r) {
    double m = 0, v = 0;
    for (int64_t c = 0; c < C; ++c) m += load(x, r * C + c);
    m /= C;
    for (int64_t c = 0; c < C; ++c) v += std::pow(load(x, r * C + c) - m, 2);
    float rs = static_cast<float>(1.0 / std::sqrt(v / C + eps));
    rstd.f32()[r] = rs;
    for (int64_t c = 0; c < C; ++c) {
      float h = static_cast<float>((load(x, r * C + c) - m) * rs);
      xhat.f32()[r * C + c] = h;
      store(y, r * C + c, h * g[c] + b[c]);
    }
  }
  return make_result(y, {xv, gamma, beta}, [=](Node& n) {
    OpTimer t("layernorm.bwd");
    const Tensor& dy = n.grad;
    Tensor dx(x.shape(), x.dtype()), dg = Tensor::zeros({C}), db = Tensor::zeros({C});
    const float* gp = n.inputs[1]->value.f32();
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c < C; ++c) {
        dg.f32()[c] += load(dy, r * C + c) * xhat.f32()[r * C + c];
        db.f32()[c] += load(dy, r * C + c);
      }
#pragma omp parallel for if (R > 64)
    for (int64_t r = 0; r < R; ++r) {
      // dx = rstd (dxh - mean(dxh) - xhat mean(dxh xhat)), dxh = dy gamma.
      double s1 = 0, s2 = 0;
      for (int64_t c = 0; c < C; ++c) {
        double d = load(dy, r * C + c) * gp[c];
        s1 += d;
        s2 += d * xhat.f32()[r * C + c];
      }
      s1 /= C;
      s2 /= C;
      for (int64_t c = 0; c < C; ++c) {
        double d = load(dy, r * C + c) * gp[c];
        store(dx, r * C + c, static_cast<float>(rstd.f32()[r] * (d - s1 - xhat.f32()[r * C + c] * s2)));
      }
    }
    n.inputs[0]->accumulate(dx);
    n.inputs[1]->accumulate(dg);
    n.inputs[2]->accumulate(db);
  });
}

namespace {

Var softmax_impl(const Var& xv, bool log) {
  OpTimer timer("softmax.fwd");
  const Tensor& x = xv.value();
  const int64_t C = x.dim(-1), R = x.numel() / C;
  Tensor y(x.shape(), x.dtype()), p({R, C}, DType::f32);
#pragma omp parallel for if (R > 64)
  for (int64_t r = 0; r < R; ++r) {
    float mx = -INFINITY;
    for (int64_t c = 0; c < C; ++c) mx = std::max(mx, load(x, r * C + c));
    double z = 0;
    for (int64_t c = 0; c < C; ++c) z += std::exp(static_cast<double>(load(x, r * C + c) - mx));
    for (int64_t c = 0; c < C; ++c) {
      double e = static_cast<double>(load(x, r * C + c) - mx);
      p.f32()[r * C + c] = static_cast<float>(std::exp(e) / z);
      store(y, r * C + c, static_cast<float>(log ? e - std::log(z) : std::exp(e) / z));
    }
  }
  return make_result(y, {xv}, [=](Node& n) {
    OpTimer t("softmax.bwd");
    const Tensor& g = n.grad;
    Tensor dx(x.shape(), x.dtype());
#pragma omp parallel for if (R > 64)
    for (int64_t r = 0; r < R; ++r) {
      double s = 0;
      for (int64_t c = 0; c < C; ++c)
        s += log ? load(g, r * C + c) : load(g, r * C + c) * p.f32()[r * C + c];
      for (int64_t c = 0; c < C; ++c) {
        float pc = p.f32()[r * C + c], gc = load(g, r * C + c);
        // softmax: p (g - <g,p>); log-softmax: g - p sum(g).
        store(dx, r * C + c, static_cast<float>(log ? gc - pc * s : pc * (gc - s)));
      }
    }
    n.inputs[0]->accumulate(dx);
  });
}

}  // namespace

Var softmax(const Var& x) { return softmax_impl(x, false); }
Var log_softmax(const Var& x) { return softmax_impl(x, true); }

Var l2_normalize(const Var& xv, float eps) {
  const Tensor& x = xv.value();
  const int64_t C = x.dim(-1), R = x.numel() / C;
  Tensor y(x.shape(), x.dtype()), norm({R}, DType::f32);
#pragma omp parallel for if (R > 64)
  for (int64_t r = 0; r < R; ++r) {
    double s = 0;
    for (int64_t c = 0; c < C; ++c) s += std::pow(load(x, r * C + c), 2);
    float nr = static_cast<float>(std::max(std::sqrt(s), static_cast<double>(eps)));
    norm.f32()[r] = nr;
    for (int64_t c = 0; c < C; ++c) store(y, r * C + c, load(x, r * C + c) / nr);
  }
  return make_result(y, {xv}, [=](Node& n) {
    const Tensor& g = n.grad;
    Tensor dx(x.shape(), x.dtype());
#pragma omp parallel for if (R > 64)
    for (int64_t r = 0; r < R; ++r) {
      // d(x/|x|) = (g - y <y,g>) / |x|.
      double dot = 0;
      for (int64_t c = 0; c < C; ++c) dot += static_cast<double>(load(y, r * C + c)) * load(g, r * C + c);
      for (int64_t c = 0; c < C; ++c)
        store(dx, r * C + c, static_cast<float>((load(g, r * C + c) - load(y, r * C + c) * dot) / norm.f32()[r]));
    }
    n.inputs[0]->accumulate(dx);
  });
}

}  // namespace sslkit::nn
