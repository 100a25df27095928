// softmax and log_softmax over the last axis with oneDNN's softmax_v2
// (softmax_accurate subtracts the row maximum; softmax_log gives the stable
// log form directly). The input is a plain 2-D [rows, C] view of its buffer
// with axis 1. The backward of softmax_v2 reads dst, not src, so the closure
// keeps the output.
#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

namespace {

using dnnl::memory;
using tag = memory::format_tag;

struct SoftmaxFwd {
  dnnl::softmax_v2_forward::primitive_desc pd;
  dnnl::softmax_v2_forward prim;
};
struct SoftmaxBwd {
  dnnl::softmax_v2_backward prim;
};

Var softmax_impl(const Var& xv, bool log) {
  OpTimer timer(log ? "log_softmax.fwd" : "softmax.fwd");
  const Tensor& x = xv.value();
  const DType dt = x.dtype();
  if (x.rank() < 1 || x.numel() == 0) SSLKIT_FAIL(std::string("softmax of ") + shape_str(x.shape()));
  const int64_t C = x.dim(-1), R = x.numel() / C;
  const auto alg = log ? dnnl::algorithm::softmax_log : dnnl::algorithm::softmax_accurate;
  auto md = memory::desc({R, C}, dnnl_type(dt), tag::ab);
  const bool train = grad_enabled() && xv.requires_grad();
  const std::string key = dims_key({R, C}) + (log ? "log|" : "acc|") + dtype_name(dt);
  auto& fwd = primitive_cache().get<SoftmaxFwd>(std::string("softmax.fwd|") + (train ? "t|" : "i|") + key, [&] {
    dnnl::softmax_v2_forward::desc d(train ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference,
                                     alg, md, md, 1);
    dnnl::softmax_v2_forward::primitive_desc pd(d, engine());
    return SoftmaxFwd{pd, dnnl::softmax_v2_forward(pd)};
  });
  Tensor y(x.shape(), dt);
  run(fwd.prim, {{DNNL_ARG_SRC, memory(md, engine(), x.raw())}, {DNNL_ARG_DST, memory(md, engine(), y.raw())}});
  if (!train) return make_result(y, {xv}, nullptr);

  return make_result(y, {xv}, [=, fwd_pd = fwd.pd](Node& n) {
    OpTimer t(log ? "log_softmax.bwd" : "softmax.bwd");
    auto& bwd = primitive_cache().get<SoftmaxBwd>("softmax.bwd|" + key, [&] {
      dnnl::softmax_v2_backward::desc d(alg, md, md, md, 1);
      dnnl::softmax_v2_backward::primitive_desc pd(d, engine(), fwd_pd);
      return SoftmaxBwd{dnnl::softmax_v2_backward(pd)};
    });
    const Tensor dy = n.grad.dtype() == dt ? n.grad : n.grad.to(dt);
    Tensor dx(x.shape(), dt);
    run(bwd.prim, {{DNNL_ARG_DST, memory(md, engine(), y.raw())},
                   {DNNL_ARG_DIFF_DST, memory(md, engine(), dy.raw())},
                   {DNNL_ARG_DIFF_SRC, memory(md, engine(), dx.raw())}});
    n.inputs[0]->accumulate(dx);
  });
}

}  // namespace

Var softmax(const Var& x) { return softmax_impl(x, false); }
Var log_softmax(const Var& x) { return softmax_impl(x, true); }

}  // namespace sslkit::nn
