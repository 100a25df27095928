// batchnorm over oneDNN on channels-last data (nhwc/nc: the fast bnorm_jit
// path; plain NCHW falls back to a slow reference kernel). Running
// statistics are ours: oneDNN keeps none and returns the biased variance.
#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

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

Var batchnorm_impl(const Var& xv, const Var& gamma, const Var& beta, Tensor& running_mean, Tensor& running_var,
                   bool training, float momentum, float eps, bool fuse_relu) {
  OpTimer timer("batchnorm.fwd");
  const Tensor& x = xv.value();
  const DType dt = x.dtype();
  const int64_t C = x.dim(-1);
  if (gamma.value().numel() != C || beta.value().numel() != C || running_mean.numel() != C)
    SSLKIT_FAIL(std::string("batchnorm parameters for ") + std::to_string(C) + " channels");
  auto md = bn_desc(x.shape(), dt);
  // fuse_norm_relu applies the ReLU inside the same pass, keeping a 1-bit
  // mask as workspace for the backward: one memory pass less each way.
  const flags fl = flags::use_scale | flags::use_shift | (training ? flags::none : flags::use_global_stats) |
                   (fuse_relu ? flags::fuse_norm_relu : flags::none);
  std::string key = dims_key(x.shape()) + dtype_name(dt) + (training ? "t" : "e") + (fuse_relu ? "r" : "") +
                    std::to_string(eps);
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
  Tensor mean = training ? Tensor({C}, DType::f32) : running_mean.clone();
  Tensor var = training ? Tensor({C}, DType::f32) : running_var.clone();
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
    // PyTorch's convention: the running variance is the unbiased one.
    const double m = static_cast<double>(x.numel() / C);
    const double unbias = m > 1 ? m / (m - 1) : 1.0;
    for (int64_t c = 0; c < C; ++c) {
      running_mean.f32()[c] = (1 - momentum) * running_mean.f32()[c] + momentum * mean.f32()[c];
      running_var.f32()[c] =
          static_cast<float>((1 - momentum) * running_var.f32()[c] + momentum * var.f32()[c] * unbias);
    }
  }
  return make_result(y, {xv, gamma, beta}, [=, fwd_pd = fwd.pd](Node& n) {
    OpTimer t("batchnorm.bwd");
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
