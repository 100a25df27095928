// Layer normalisation over the last axis with oneDNN's layer_normalization.
// The input is described as a plain 2-D [rows, C] view of its own buffer:
// oneDNN's LN is fast on plain layouts and very slow on blocked ones
// (oneDNN #1058), and a row-major [..., C] tensor already is that view.
// gamma/beta and the statistics stay f32 whatever the activation dtype.
#include <cstdio>

#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

namespace {

using dnnl::memory;
using tag = memory::format_tag;

const auto kFlags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;

struct LnFwd {
  dnnl::layer_normalization_forward::primitive_desc pd;
  dnnl::layer_normalization_forward prim;
};
struct LnBwd {
  dnnl::layer_normalization_backward prim;
};

// eps is part of the descriptor, so it is part of the key (exactly, as hex).
std::string eps_key(float eps) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%a", static_cast<double>(eps));
  return buf;
}

Tensor as_f32(const Tensor& t) { return t.dtype() == DType::f32 ? t : t.to(DType::f32); }

}  // namespace

Var layernorm(const Var& xv, const Var& gv, const Var& bv, float eps) {
  OpTimer timer("layernorm.fwd");
  const Tensor& x = xv.value();
  const DType dt = x.dtype();
  if (x.rank() < 1 || x.numel() == 0) SSLKIT_FAIL(std::string("layernorm of ") + shape_str(x.shape()));
  const int64_t C = x.dim(-1), R = x.numel() / C;
  if (gv.value().numel() != C || bv.value().numel() != C)
    SSLKIT_FAIL(std::string("layernorm parameters ") + shape_str(gv.shape()) + ", " + shape_str(bv.shape()) +
                        " for input " + shape_str(x.shape()));
  const Tensor gamma = as_f32(gv.value()), beta = as_f32(bv.value());

  auto data_md = memory::desc({R, C}, dnnl_type(dt), tag::ab);
  auto stat_md = memory::desc({R}, memory::data_type::f32, tag::a);
  auto par_md = memory::desc({C}, memory::data_type::f32, tag::a);
  // Statistics are only kept when a backward will run.
  const bool train = grad_enabled() && (xv.requires_grad() || gv.requires_grad() || bv.requires_grad());
  const std::string key = dims_key({R, C}) + eps_key(eps) + "|" + dtype_name(dt);
  auto& fwd = primitive_cache().get<LnFwd>(std::string("ln.fwd|") + (train ? "t|" : "i|") + key, [&] {
    dnnl::layer_normalization_forward::desc d(
        train ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference, data_md, stat_md, eps, kFlags);
    dnnl::layer_normalization_forward::primitive_desc pd(d, engine());
    return LnFwd{pd, dnnl::layer_normalization_forward(pd)};
  });

  Tensor y(x.shape(), dt);
  Tensor mean({R}, DType::f32), var({R}, DType::f32);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(data_md, engine(), x.raw())},
                                       {DNNL_ARG_DST, memory(data_md, engine(), y.raw())},
                                       {DNNL_ARG_SCALE, memory(par_md, engine(), gamma.raw())},
                                       {DNNL_ARG_SHIFT, memory(par_md, engine(), beta.raw())}};
  if (train) {
    args[DNNL_ARG_MEAN] = memory(stat_md, engine(), mean.raw());
    args[DNNL_ARG_VARIANCE] = memory(stat_md, engine(), var.raw());
  }
  run(fwd.prim, args);
  if (!train) return make_result(y, {xv, gv, bv}, nullptr);

  return make_result(y, {xv, gv, bv}, [=, fwd_pd = fwd.pd](Node& n) {
    OpTimer t("layernorm.bwd");
    auto& bwd = primitive_cache().get<LnBwd>("ln.bwd|" + key, [&] {
      // prop backward: diff_src plus diff_scale/diff_shift in one pass.
      dnnl::layer_normalization_backward::desc d(dnnl::prop_kind::backward, data_md, data_md, stat_md, eps, kFlags);
      dnnl::layer_normalization_backward::primitive_desc pd(d, engine(), fwd_pd);
      return LnBwd{dnnl::layer_normalization_backward(pd)};
    });
    const Tensor dy = n.grad.dtype() == dt ? n.grad : n.grad.to(dt);
    Tensor dx(x.shape(), dt), dg({C}, DType::f32), db({C}, DType::f32);
    run(bwd.prim, {{DNNL_ARG_SRC, memory(data_md, engine(), x.raw())},
                   {DNNL_ARG_MEAN, memory(stat_md, engine(), mean.raw())},
                   {DNNL_ARG_VARIANCE, memory(stat_md, engine(), var.raw())},
                   {DNNL_ARG_SCALE, memory(par_md, engine(), gamma.raw())},
                   {DNNL_ARG_SHIFT, memory(par_md, engine(), beta.raw())},
                   {DNNL_ARG_DIFF_DST, memory(data_md, engine(), dy.raw())},
                   {DNNL_ARG_DIFF_SRC, memory(data_md, engine(), dx.raw())},
                   {DNNL_ARG_DIFF_SCALE, memory(par_md, engine(), dg.raw())},
                   {DNNL_ARG_DIFF_SHIFT, memory(par_md, engine(), db.raw())}});
    if (n.inputs[0]->requires_grad) n.inputs[0]->accumulate(dx);
    // Parameter gradients in the parameters' own dtype (f32 master weights).
    if (n.inputs[1]->requires_grad) n.inputs[1]->accumulate(dg.to(n.inputs[1]->value.dtype()));
    if (n.inputs[2]->requires_grad) n.inputs[2]->accumulate(db.to(n.inputs[2]->value.dtype()));
  });
}

}  // namespace sslkit::nn
