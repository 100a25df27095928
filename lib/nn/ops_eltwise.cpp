// relu, gelu and tanh over oneDNN eltwise; layout-agnostic, so the plain view of
// the buffer is used whatever the rank.
#include "nn/engine.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

namespace {

using dnnl::memory;

struct EwFwd {
  dnnl::eltwise_forward::primitive_desc pd;
  dnnl::eltwise_forward prim;
};
struct EwBwd {
  dnnl::eltwise_backward prim;
};

Var eltwise(const Var& xv, dnnl::algorithm alg, const char* name) {
  OpTimer timer("eltwise.fwd");
  const Tensor& x = xv.value();
  // A flat 1-D view: same buffer, cached by element count only.
  auto md = memory::desc({x.numel()}, dnnl_type(x.dtype()), memory::format_tag::a);
  std::string key = std::string(name) + "|" + std::to_string(x.numel()) + dtype_name(x.dtype());
  const auto prop = grad_enabled() ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  auto& fwd = primitive_cache().get<EwFwd>(std::string("ew.fwd|") + (grad_enabled() ? "t|" : "i|") + key, [&] {
    dnnl::eltwise_forward::desc d(prop, alg, md, 0.f, 0.f);
    dnnl::eltwise_forward::primitive_desc pd(d, engine());
    return EwFwd{pd, dnnl::eltwise_forward(pd)};
  });
  Tensor y(x.shape(), x.dtype());
  run(fwd.prim, {{DNNL_ARG_SRC, memory(md, engine(), x.raw())}, {DNNL_ARG_DST, memory(md, engine(), y.raw())}});
  return make_result(y, {xv}, [=, fwd_pd = fwd.pd](Node& n) {
    OpTimer t("eltwise.bwd");
    auto& bwd = primitive_cache().get<EwBwd>("ew.bwd|" + key, [&] {
      dnnl::eltwise_backward::desc d(alg, md, md, 0.f, 0.f);
      dnnl::eltwise_backward::primitive_desc pd(d, engine(), fwd_pd);
      return EwBwd{dnnl::eltwise_backward(pd)};
    });
    Tensor dx(x.shape(), x.dtype());
    run(bwd.prim, {{DNNL_ARG_SRC, memory(md, engine(), x.raw())},
                   {DNNL_ARG_DIFF_DST, memory(md, engine(), n.grad.raw())},
                   {DNNL_ARG_DIFF_SRC, memory(md, engine(), dx.raw())}});
    n.inputs[0]->accumulate(dx);
  });
}

}  // namespace

Var relu(const Var& x) { return eltwise(x, dnnl::algorithm::eltwise_relu, "relu"); }
Var gelu(const Var& x) { return eltwise(x, dnnl::algorithm::eltwise_gelu_erf, "gelu"); }
Var tanh(const Var& x) { return eltwise(x, dnnl::algorithm::eltwise_tanh, "tanh"); }

}  // namespace sslkit::nn
