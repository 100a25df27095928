// linear over oneDNN inner product: x viewed as [M,K] (all leading axes
// folded into M, which row-major layout makes free), weights [O,K] f32
// master reordered per call, f32 weight and bias gradients.
#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

namespace {

using dnnl::memory;
using tag = memory::format_tag;

struct IpFwd {
  dnnl::inner_product_forward::primitive_desc pd;
  dnnl::inner_product_forward prim;
};
struct IpBwdData {
  dnnl::inner_product_backward_data::primitive_desc pd;
  dnnl::inner_product_backward_data prim;
};
struct IpBwdWeights {
  dnnl::inner_product_backward_weights::primitive_desc pd;
  dnnl::inner_product_backward_weights prim;
};

}  // namespace

Var linear(const Var& xv, const Var& wv, const Var& bv) {
  const Tensor& x = xv.value();
  const Tensor& w = wv.value();
  const std::string layer = layer_label(x.shape(), w.shape());
  OpTimer timer("linear.fwd", layer);
  const DType dt = x.dtype();
  const int64_t K = x.dim(-1), O = w.dim(0), M = x.numel() / K;
  if (w.rank() != 2 || w.dim(1) != K)
    SSLKIT_FAIL(std::string("linear weight ") + shape_str(w.shape()) + " for input " + shape_str(x.shape()));
  const bool has_bias = bv.defined();
  Shape out_shape = x.shape();
  out_shape.back() = O;
  auto src_md = memory::desc({M, K}, dnnl_type(dt), tag::ab);
  auto dst_md = memory::desc({M, O}, dnnl_type(dt), tag::ab);
  auto bias_md = has_bias ? memory::desc({O}, memory::data_type::f32, tag::a) : memory::desc();
  auto user_w_md = memory::desc({O, K}, memory::data_type::f32, tag::ab);
  std::string key = std::to_string(M) + "," + std::to_string(K) + "," + std::to_string(O) + (has_bias ? "b" : "") +
                    dtype_name(dt);

  const auto prop = grad_enabled() ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  auto& fwd = primitive_cache().get<IpFwd>(std::string("ip.fwd|") + (grad_enabled() ? "t|" : "i|") + key, [&] {
    dnnl::inner_product_forward::desc d(prop, src_md,
                                        memory::desc({O, K}, dnnl_type(dt), tag::any), bias_md, dst_md);
    dnnl::inner_product_forward::primitive_desc pd(d, engine());
    return IpFwd{pd, dnnl::inner_product_forward(pd)};
  });
  memory wmem = as_layout_mem(memory(user_w_md, engine(), w.raw()), fwd.pd.weights_desc());
  Tensor y(out_shape, dt);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(src_md, engine(), x.raw())},
                                       {DNNL_ARG_WEIGHTS, wmem},
                                       {DNNL_ARG_DST, memory(dst_md, engine(), y.raw())}};
  if (has_bias) args[DNNL_ARG_BIAS] = memory(bias_md, engine(), bv.value().raw());
  run(fwd.prim, args);
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(K) * static_cast<double>(O);
  count_flops(flops);

  std::vector<Var> inputs{xv, wv};
  if (has_bias) inputs.push_back(bv);
  return make_result(y, inputs, [=, fwd_pd = fwd.pd](Node& n) {
    memory diff_dst(dst_md, engine(), n.grad.raw());
    Node* xn = n.inputs[0].get();
    if (xn->requires_grad) {
      OpTimer t("linear.bwd_data", layer);
      auto& bd = primitive_cache().get<IpBwdData>("ip.bwd_data|" + key, [&] {
        dnnl::inner_product_backward_data::desc d(src_md, memory::desc({O, K}, dnnl_type(dt), tag::any), dst_md);
        dnnl::inner_product_backward_data::primitive_desc pd(d, engine(), fwd_pd);
        return IpBwdData{pd, dnnl::inner_product_backward_data(pd)};
      });
      memory wm = as_layout_mem(memory(user_w_md, engine(), w.raw()), bd.pd.weights_desc());
      Tensor dx(x.shape(), dt);
      run(bd.prim, {{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_WEIGHTS, wm},
                    {DNNL_ARG_DIFF_SRC, memory(src_md, engine(), dx.raw())}});
      count_flops(flops);
      xn->accumulate(dx);
    }
    if (n.inputs[1]->requires_grad || (has_bias && n.inputs[2]->requires_grad)) {
      OpTimer t("linear.bwd_weights", layer);
      auto& bw = primitive_cache().get<IpBwdWeights>("ip.bwd_weights|" + key, [&] {
        dnnl::inner_product_backward_weights::desc d(src_md, memory::desc({O, K}, memory::data_type::f32, tag::any),
                                                     bias_md, dst_md);
        dnnl::inner_product_backward_weights::primitive_desc pd(d, engine(), fwd_pd);
        return IpBwdWeights{pd, dnnl::inner_product_backward_weights(pd)};
      });
      Tensor dw({O, K}, DType::f32);
      memory user_dw(user_w_md, engine(), dw.raw());
      memory dw_mem = bw.pd.diff_weights_desc() == user_w_md ? user_dw : memory(bw.pd.diff_weights_desc(), engine());
      std::unordered_map<int, memory> a{{DNNL_ARG_SRC, memory(src_md, engine(), x.raw())},
                                        {DNNL_ARG_DIFF_DST, diff_dst},
                                        {DNNL_ARG_DIFF_WEIGHTS, dw_mem}};
      Tensor db;
      if (has_bias) {
        db = Tensor({O}, DType::f32);
        a[DNNL_ARG_DIFF_BIAS] = memory(bias_md, engine(), db.raw());
      }
      run(bw.prim, a);
      count_flops(flops);
      if (dw_mem.get_data_handle() != dw.raw()) copy_mem(dw_mem, user_dw);
      n.inputs[1]->accumulate(dw);
      if (has_bias) n.inputs[2]->accumulate(db);
    }
  });
}

}  // namespace sslkit::nn
