// conv2d and conv1d over oneDNN: channels-last activations described as
// nhwc/nwc, weights in whatever layout the primitive prefers (reordered from
// the f32 master copy per call; they are small), f32 weight gradients.
#include <optional>

#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

namespace {

using dnnl::memory;
using tag = memory::format_tag;

struct ConvGeometry {
  Shape out_shape;
  memory::dims wdims, strides, dilates, pad;
  tag user_wtag;
  std::string key;
  double flops = 0;  // one direct pass: 2 x outputs x (C/groups) x kernel taps
};

ConvGeometry geometry(const Tensor& x, const Tensor& w, const ConvParams& p, bool bias) {
  const int sp = x.rank() - 2;  // spatial dims
  if (w.rank() != sp + 2) SSLKIT_FAIL(std::string("conv weight rank ") + std::to_string(w.rank()));
  if (static_cast<int>(p.stride.size()) != sp || static_cast<int>(p.padding.size()) != sp ||
      static_cast<int>(p.dilation.size()) != sp)
    SSLKIT_FAIL(std::string("conv parameters for ") + std::to_string(sp) + " spatial dims");
  const int64_t C = x.dim(-1), O = w.dim(0), g = p.groups;
  if (w.dim(1) * g != C || O % g != 0)
    SSLKIT_FAIL(std::string("conv weight ") + shape_str(w.shape()) + " for input " + shape_str(x.shape()));
  ConvGeometry geo;
  geo.out_shape = {x.dim(0)};
  for (int i = 0; i < sp; ++i) {
    int64_t in = x.dim(1 + i), k = w.dim(2 + i);
    int64_t out = (in + 2 * p.padding[i] - p.dilation[i] * (k - 1) - 1) / p.stride[i] + 1;
    if (out <= 0) SSLKIT_FAIL(std::string("conv output size ") + std::to_string(out));
    geo.out_shape.push_back(out);
    geo.strides.push_back(p.stride[i]);
    geo.dilates.push_back(p.dilation[i] - 1);  // oneDNN counts dilation from 0
    geo.pad.push_back(p.padding[i]);
  }
  geo.out_shape.push_back(O);
  if (g == 1) {
    geo.wdims = memory::dims(w.shape().begin(), w.shape().end());
    geo.user_wtag = sp == 2 ? tag::oihw : tag::oiw;
  } else {
    geo.wdims = {g, O / g};
    for (int i = 1; i < w.rank(); ++i) geo.wdims.push_back(w.dim(i));
    geo.user_wtag = sp == 2 ? tag::goihw : tag::goiw;
  }
  double taps = static_cast<double>(C / g);
  for (int i = 2; i < w.rank(); ++i) taps *= static_cast<double>(w.dim(i));
  geo.flops = 2.0 * static_cast<double>(numel_of(geo.out_shape)) * taps;
  geo.key = dims_key(x.shape()) + "|" + dims_key(w.shape()) + "|" + dims_key(p.stride) + dims_key(p.padding) +
            dims_key(p.dilation) + std::to_string(g) + (bias ? "b" : "") + dtype_name(x.dtype());
  return geo;
}

struct ConvFwd {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward prim;
};
struct ConvBwdData {
  dnnl::convolution_backward_data::primitive_desc pd;
  dnnl::convolution_backward_data prim;
};
struct ConvBwdWeights {
  dnnl::convolution_backward_weights::primitive_desc pd;
  dnnl::convolution_backward_weights prim;
};

Var conv_nd(const Var& xv, const Var& wv, const Var& bv, const ConvParams& p) {
  const Tensor& x = xv.value();
  const Tensor& w = wv.value();
  const std::string layer = layer_label(x.shape(), w.shape());
  OpTimer timer("conv.fwd", layer);
  const DType dt = x.dtype();
  const bool has_bias = bv.defined();
  ConvGeometry geo = geometry(x, w, p, has_bias);
  const int64_t O = w.dim(0);
  auto src_md = channels_last_desc(x.shape(), dt);
  auto dst_md = channels_last_desc(geo.out_shape, dt);
  auto bias_md = has_bias ? memory::desc({O}, memory::data_type::f32, tag::a) : memory::desc();

  // Without a tape (inference) oneDNN may pick kernels that keep nothing for a backward.
  const auto prop = grad_enabled() ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  auto& fwd = primitive_cache().get<ConvFwd>(std::string("conv.fwd|") + (grad_enabled() ? "t|" : "i|") + geo.key, [&] {
    dnnl::convolution_forward::desc d(prop, dnnl::algorithm::convolution_direct, src_md,
                                      memory::desc(geo.wdims, dnnl_type(dt), tag::any), bias_md, dst_md, geo.strides,
                                      geo.dilates, geo.pad, geo.pad);
    dnnl::convolution_forward::primitive_desc pd(d, engine());
    return ConvFwd{pd, dnnl::convolution_forward(pd)};
  });
  memory user_w({geo.wdims, memory::data_type::f32, geo.user_wtag}, engine(), w.raw());
  memory wmem = as_layout_mem(user_w, fwd.pd.weights_desc());
  Tensor y(geo.out_shape, dt);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(src_md, engine(), x.raw())},
                                       {DNNL_ARG_WEIGHTS, wmem},
                                       {DNNL_ARG_DST, memory(dst_md, engine(), y.raw())}};
  if (has_bias) args[DNNL_ARG_BIAS] = memory(bias_md, engine(), bv.value().raw());
  run(fwd.prim, args);
  count_flops(geo.flops);

  std::vector<Var> inputs{xv, wv};
  if (has_bias) inputs.push_back(bv);
  return make_result(y, inputs, [x, w, geo, src_md, dst_md, bias_md, has_bias, dt, fwd_pd = fwd.pd, layer](Node& n) {
    memory diff_dst(dst_md, engine(), n.grad.raw());
    Node* xn = n.inputs[0].get();
    Node* wn = n.inputs[1].get();
    if (xn->requires_grad) {
      OpTimer t("conv.bwd_data", layer);
      auto& bd = primitive_cache().get<ConvBwdData>("conv.bwd_data|" + geo.key, [&] {
        dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, src_md,
                                                memory::desc(geo.wdims, dnnl_type(dt), tag::any), dst_md,
                                                geo.strides, geo.dilates, geo.pad, geo.pad);
        dnnl::convolution_backward_data::primitive_desc pd(d, engine(), fwd_pd);
        return ConvBwdData{pd, dnnl::convolution_backward_data(pd)};
      });
      memory user_w({geo.wdims, memory::data_type::f32, geo.user_wtag}, engine(), w.raw());
      memory wmem = as_layout_mem(user_w, bd.pd.weights_desc());
      Tensor dx(x.shape(), dt);
      run(bd.prim, {{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_WEIGHTS, wmem},
                    {DNNL_ARG_DIFF_SRC, memory(src_md, engine(), dx.raw())}});
      count_flops(geo.flops);
      xn->accumulate(dx);
    }
    if (wn->requires_grad || (has_bias && n.inputs[2]->requires_grad)) {
      OpTimer t("conv.bwd_weights", layer);
      auto& bw = primitive_cache().get<ConvBwdWeights>("conv.bwd_weights|" + geo.key, [&] {
        dnnl::convolution_backward_weights::desc d(
            dnnl::algorithm::convolution_direct, src_md, memory::desc(geo.wdims, memory::data_type::f32, tag::any),
            bias_md, dst_md, geo.strides, geo.dilates, geo.pad, geo.pad);
        dnnl::convolution_backward_weights::primitive_desc pd(d, engine(), fwd_pd);
        return ConvBwdWeights{pd, dnnl::convolution_backward_weights(pd)};
      });
      memory dw_raw(bw.pd.diff_weights_desc(), engine());
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(src_md, engine(), x.raw())},
                                           {DNNL_ARG_DIFF_DST, diff_dst},
                                           {DNNL_ARG_DIFF_WEIGHTS, dw_raw}};
      Tensor db;
      if (has_bias) {
        db = Tensor(Shape{static_cast<int64_t>(bias_md.get_size() / 4)}, DType::f32);
        args[DNNL_ARG_DIFF_BIAS] = memory(bias_md, engine(), db.raw());
      }
      run(bw.prim, args);
      count_flops(geo.flops);
      Tensor dw(w.shape(), DType::f32);
      memory user_dw({geo.wdims, memory::data_type::f32, geo.user_wtag}, engine(), dw.raw());
      copy_mem(dw_raw, user_dw);
      wn->accumulate(dw);
      if (has_bias) n.inputs[2]->accumulate(db);
    }
  });
}

}  // namespace

Var conv2d(const Var& x, const Var& w, const Var& b, const ConvParams& p) {
  if (x.value().rank() != 4) SSLKIT_FAIL(std::string("conv2d wants [N,H,W,C], got ") + shape_str(x.shape()));
  return conv_nd(x, w, b, p);
}

Var conv1d(const Var& x, const Var& w, const Var& b, const ConvParams& p) {
  if (x.value().rank() != 3) SSLKIT_FAIL(std::string("conv1d wants [N,T,C], got ") + shape_str(x.shape()));
  return conv_nd(x, w, b, p);
}

}  // namespace sslkit::nn
