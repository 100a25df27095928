// batchnorm over oneDNN on channels-last data (nhwc/nc: the fast bnorm_jit
// path; plain NCHW falls back to a slow reference kernel). Running
// statistics are ours: oneDNN keeps none and returns the biased variance.
//
// Synchronised (nn/sync_batchnorm.hpp, training mode over K ranks): the
// statistics are the global batch's, computed here and handed to oneDNN as
// `use_global_stats`, which keeps its fused-ReLU pass and workspace. Its
// backward then treats them as constants; the terms through the mean and
// variance come back by an all-reduce of [dgamma, dbeta] (the math in
// sync_correction below).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/dist.hpp"
#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/engine.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"
#include "nn/sync_batchnorm.hpp"

namespace sslkit::nn {

namespace {

bool g_sync = false;

}  // namespace

bool sync_batchnorm_enabled() { return g_sync; }
SyncBatchNorm::SyncBatchNorm(bool on) : prev_(g_sync) { g_sync = on; }
SyncBatchNorm::~SyncBatchNorm() { g_sync = prev_; }

namespace {

using dnnl::memory;
using flags = dnnl::normalization_flags;

struct BnFwd {
  dnnl::batch_normalization_forward::primitive_desc pd;
  dnnl::batch_normalization_forward prim;
};
struct BnBwd {
  dnnl::batch_normalization_backward::primitive_desc pd;
  dnnl::batch_normalization_backward prim;
};

// A projector's [N,C] as [N,C,1,1] channels-last (the same bytes): oneDNN
// 2.6 has no jit kernel for 2-D "nc" batchnorm and falls back to its
// reference one, measured at ~0.7 s a call on [1600,1024] bf16 (the whole
// EMP step was 80 % batchnorm); as nhwc it runs its jit kernel.
memory::desc bn_desc(const Shape& shape, DType dt) {
  if (shape.size() != 2) return channels_last_desc(shape, dt);
  return memory::desc({shape[0], shape[1], 1, 1}, dnnl_type(dt), memory::format_tag::nhwc);
}

// Per-channel sums over the rows of x [.., C] in double: of x, or of
// (x - centre)^2 when `centre` is given. Each thread sums its own rows and
// the partial sums are added in thread order, so a run is reproducible.
std::vector<double> channel_sums(const Tensor& x, int64_t C, const double* centre) {
  const int64_t rows = x.numel() / C;
  const int threads = rows * C > 32768 ? omp_get_max_threads() : 1;
  std::vector<double> part(static_cast<size_t>(threads) * C, 0.0);
#pragma omp parallel num_threads(threads)
  {
    double* acc = &part[static_cast<size_t>(omp_get_thread_num()) * C];
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < C; ++c) {
        double v = load(x, r * C + c);
        if (centre) v = (v - centre[c]) * (v - centre[c]);
        acc[c] += v;
      }
  }
  std::vector<double> out(C, 0.0);
  for (int t = 0; t < threads; ++t)
    for (int64_t c = 0; c < C; ++c) out[c] += part[static_cast<size_t>(t) * C + c];
  return out;
}

struct GlobalStats {
  Tensor mean, var;  // [C] f32, the biased variance (what oneDNN takes)
  double count = 0;  // rows over all ranks
};

// Mean and variance over every rank's rows: two passes (the sum, then the
// squares about the global mean), each one all-reduce of C+1 or C doubles,
// so the variance has no cancellation of a sum of squares.
GlobalStats global_stats(const Tensor& x, int64_t C) {
  std::vector<double> s = channel_sums(x, C, nullptr);
  s.push_back(static_cast<double>(x.numel() / C));
  dist::allreduce_sum(s.data(), s.size());
  GlobalStats g{Tensor({C}, DType::f32), Tensor({C}, DType::f32), s[C]};
  const double n = std::max(1.0, g.count);
  for (int64_t c = 0; c < C; ++c) s[c] /= n;
  std::vector<double> q = channel_sums(x, C, s.data());
  dist::allreduce_sum(q.data(), q.size());
  for (int64_t c = 0; c < C; ++c) {
    g.mean.f32()[c] = static_cast<float>(s[c]);
    g.var.f32()[c] = static_cast<float>(q[c] / n);
  }
  return g;
}

// oneDNN's backward with global statistics gives dx0 = gamma/sigma * g (g the
// gradient of y, after the fused ReLU's mask), dgamma = sum g*xhat and
// dbeta = sum g over this rank's rows. The gradient of the job's objective
// (sum over ranks of their losses; the trainer scales it afterwards) through
// the global mean and variance adds, for every row of every rank,
//   dx = dx0 - gamma/sigma * (sum_all g + xhat * sum_all g*xhat) / N,
// sums and N over all ranks: an all-reduce of [dgamma, dbeta]. dgamma and
// dbeta stay local for the parameters: the trainer's all-reduce adds them.
void sync_correction(const Tensor& x, Tensor& dx, const Tensor& gamma, const Tensor& dgamma, const Tensor& dbeta,
                     const GlobalStats& st, float eps) {
  const int64_t C = x.dim(-1), rows = x.numel() / C;
  std::vector<double> red(2 * C);
  for (int64_t c = 0; c < C; ++c) red[c] = dgamma.f32()[c], red[C + c] = dbeta.f32()[c];
  dist::allreduce_sum(red.data(), red.size());
  std::vector<float> inv_sigma(C), a(C), b(C);
  for (int64_t c = 0; c < C; ++c) {
    inv_sigma[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(st.var.f32()[c]) + eps));
    const double k = gamma.f32()[c] * static_cast<double>(inv_sigma[c]) / std::max(1.0, st.count);
    a[c] = static_cast<float>(k * red[C + c]);  // constant term
    b[c] = static_cast<float>(k * red[c]);      // times xhat
  }
  const float* mean = st.mean.f32();
#pragma omp parallel for if (rows * C > 32768)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < C; ++c) {
      const int64_t i = r * C + c;
      const float xhat = (load(x, i) - mean[c]) * inv_sigma[c];
      store(dx, i, load(dx, i) - a[c] - xhat * b[c]);
    }
}

Var batchnorm_impl(const Var& xv, const Var& gamma, const Var& beta, Tensor& running_mean, Tensor& running_var,
                   bool training, float momentum, float eps, bool fuse_relu) {
  const Tensor& x = xv.value();
  const std::string layer = profile_per_layer() ? shape_str(x.shape()) + (fuse_relu ? " +relu" : "") : "";
  OpTimer timer("batchnorm.fwd", layer);
  const DType dt = x.dtype();
  const int64_t C = x.dim(-1);
  if (gamma.value().numel() != C || beta.value().numel() != C || running_mean.numel() != C)
    SSLKIT_FAIL(std::string("batchnorm parameters for ") + std::to_string(C) + " channels");
  auto md = bn_desc(x.shape(), dt);
  const bool sync = training && g_sync;
  // fuse_norm_relu applies the ReLU inside the same pass, keeping a 1-bit
  // mask as workspace for the backward: one memory pass less each way.
  const flags fl = flags::use_scale | flags::use_shift | (training && !sync ? flags::none : flags::use_global_stats) |
                   (fuse_relu ? flags::fuse_norm_relu : flags::none);
  std::string key = dims_key(x.shape()) + dtype_name(dt) + (training ? "t" : "e") + (fuse_relu ? "r" : "") +
                    (sync ? "s" : "") + std::to_string(eps);
  // Eval without a tape: a pure inference pass (no workspace, no statistics out).
  const bool inference = !training && !grad_enabled();
  auto& fwd = primitive_cache().get<BnFwd>(std::string("bn.fwd|") + (inference ? "i|" : "t|") + key, [&] {
    dnnl::batch_normalization_forward::desc d(
        inference ? dnnl::prop_kind::forward_inference : dnnl::prop_kind::forward_training, md, eps, fl);
    dnnl::batch_normalization_forward::primitive_desc pd(d, engine());
    return BnFwd{pd, dnnl::batch_normalization_forward(pd)};
  });
  auto stat_md = memory::desc({C}, memory::data_type::f32, memory::format_tag::a);
  Tensor y(x.shape(), dt);
  GlobalStats st;
  if (sync) st = global_stats(x, C);
  Tensor mean = sync ? st.mean : training ? Tensor({C}, DType::f32) : running_mean.clone();
  Tensor var = sync ? st.var : training ? Tensor({C}, DType::f32) : running_var.clone();
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(md, engine(), x.raw())},
                                       {DNNL_ARG_DST, memory(md, engine(), y.raw())},
                                       {DNNL_ARG_SCALE, memory(stat_md, engine(), gamma.value().raw())},
                                       {DNNL_ARG_SHIFT, memory(stat_md, engine(), beta.value().raw())},
                                       {DNNL_ARG_MEAN, memory(stat_md, engine(), mean.raw())},
                                       {DNNL_ARG_VARIANCE, memory(stat_md, engine(), var.raw())}};
  memory ws;
  if (fuse_relu && fwd.pd.workspace_desc().get_size() > 0) {
    ws = memory(fwd.pd.workspace_desc(), engine());
    args[DNNL_ARG_WORKSPACE] = ws;
  }
  run(fwd.prim, args);
  if (training && grad_enabled()) {
    // PyTorch's convention: the running variance is the unbiased one (over
    // the global batch's rows when synchronised: then every rank's running
    // statistics are the same).
    const double m = sync ? st.count : static_cast<double>(x.numel() / C);
    const double unbias = m > 1 ? m / (m - 1) : 1.0;
    for (int64_t c = 0; c < C; ++c) {
      running_mean.f32()[c] = (1 - momentum) * running_mean.f32()[c] + momentum * mean.f32()[c];
      running_var.f32()[c] =
          static_cast<float>((1 - momentum) * running_var.f32()[c] + momentum * var.f32()[c] * unbias);
    }
  }
  return make_result(y, {xv, gamma, beta}, [=, fwd_pd = fwd.pd](Node& n) {
    OpTimer t("batchnorm.bwd", layer);
    auto& bwd = primitive_cache().get<BnBwd>("bn.bwd|" + key, [&] {
      dnnl::batch_normalization_backward::desc d(dnnl::prop_kind::backward, md, md, eps, fl);
      dnnl::batch_normalization_backward::primitive_desc pd(d, engine(), fwd_pd);
      return BnBwd{pd, dnnl::batch_normalization_backward(pd)};
    });
    Tensor dx(x.shape(), dt), dgamma({C}, DType::f32), dbeta({C}, DType::f32);
    std::unordered_map<int, memory> a{{DNNL_ARG_SRC, memory(md, engine(), x.raw())},
                   {DNNL_ARG_DIFF_DST, memory(md, engine(), n.grad.raw())},
                   {DNNL_ARG_MEAN, memory(stat_md, engine(), mean.raw())},
                   {DNNL_ARG_VARIANCE, memory(stat_md, engine(), var.raw())},
                   {DNNL_ARG_SCALE, memory(stat_md, engine(), n.inputs[1]->value.raw())},
                   {DNNL_ARG_SHIFT, memory(stat_md, engine(), n.inputs[2]->value.raw())},
                   {DNNL_ARG_DIFF_SRC, memory(md, engine(), dx.raw())},
                   {DNNL_ARG_DIFF_SCALE, memory(stat_md, engine(), dgamma.raw())},
                   {DNNL_ARG_DIFF_SHIFT, memory(stat_md, engine(), dbeta.raw())}};
    if (fuse_relu) a[DNNL_ARG_WORKSPACE] = ws;
    run(bwd.prim, a);
    if (sync) sync_correction(x, dx, n.inputs[1]->value, dgamma, dbeta, st, eps);
    n.inputs[0]->accumulate(dx);
    n.inputs[1]->accumulate(dgamma);
    n.inputs[2]->accumulate(dbeta);
  });
}

}  // namespace

Var batchnorm(const Var& x, const Var& gamma, const Var& beta, Tensor& running_mean, Tensor& running_var,
              bool training, float momentum, float eps) {
  return batchnorm_impl(x, gamma, beta, running_mean, running_var, training, momentum, eps, false);
}

Var batchnorm_relu(const Var& x, const Var& gamma, const Var& beta, Tensor& running_mean, Tensor& running_var,
                   bool training, float momentum, float eps) {
  return batchnorm_impl(x, gamma, beta, running_mean, running_var, training, momentum, eps, true);
}

}  // namespace sslkit::nn
