// Pooling: max and average over oneDNN pooling_v2 on nhwc; global average
// pooling as a plain loop (one pass over memory, no primitive worth it).
#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"
#include "nn/elementwise.hpp"

namespace sslkit::nn {

namespace {

using dnnl::memory;

struct PoolFwd {
  dnnl::pooling_v2_forward::primitive_desc pd;
  dnnl::pooling_v2_forward prim;
};
struct PoolBwd {
  dnnl::pooling_v2_backward prim;
};

Var pool2d(const Var& xv, dnnl::algorithm alg, int64_t k, int64_t s, int64_t p, const char* name) {
  OpTimer timer("pool.fwd");
  const Tensor& x = xv.value();
  if (x.rank() != 4) SSLKIT_FAIL(std::string() + name + " wants [N,H,W,C]");
  const DType dt = x.dtype();
  int64_t oh = (x.dim(1) + 2 * p - k) / s + 1, ow = (x.dim(2) + 2 * p - k) / s + 1;
  Shape out_shape{x.dim(0), oh, ow, x.dim(3)};
  auto src_md = channels_last_desc(x.shape(), dt), dst_md = channels_last_desc(out_shape, dt);
  memory::dims strides{s, s}, kernel{k, k}, dil{0, 0}, pad{p, p};
  std::string key = std::string(name) + "|" + dims_key(x.shape()) + std::to_string(k) + "," + std::to_string(s) +
                    "," + std::to_string(p) + dtype_name(dt);
  // Inference needs no workspace of max positions.
  const auto prop = grad_enabled() ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  auto& fwd = primitive_cache().get<PoolFwd>(std::string("pool.fwd|") + (grad_enabled() ? "t|" : "i|") + key, [&] {
    dnnl::pooling_v2_forward::desc d(prop, alg, src_md, dst_md, strides, kernel, dil,
                                     pad, pad);
    dnnl::pooling_v2_forward::primitive_desc pd(d, engine());
    return PoolFwd{pd, dnnl::pooling_v2_forward(pd)};
  });
  Tensor y(out_shape, dt);
  auto ws = std::make_shared<memory>();
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(src_md, engine(), x.raw())},
                                       {DNNL_ARG_DST, memory(dst_md, engine(), y.raw())}};
  if (fwd.pd.workspace_desc().get_size() > 0) {
    *ws = memory(fwd.pd.workspace_desc(), engine());
    args[DNNL_ARG_WORKSPACE] = *ws;
  }
  run(fwd.prim, args);
  return make_result(y, {xv}, [=, fwd_pd = fwd.pd](Node& n) {
    OpTimer t("pool.bwd");
    auto& bwd = primitive_cache().get<PoolBwd>("pool.bwd|" + key, [&] {
      dnnl::pooling_v2_backward::desc d(alg, src_md, dst_md, strides, kernel, dil, pad, pad);
      dnnl::pooling_v2_backward::primitive_desc pd(d, engine(), fwd_pd);
      return PoolBwd{dnnl::pooling_v2_backward(pd)};
    });
    Tensor dx(x.shape(), dt);
    std::unordered_map<int, memory> a{{DNNL_ARG_DIFF_DST, memory(dst_md, engine(), n.grad.raw())},
                                      {DNNL_ARG_DIFF_SRC, memory(src_md, engine(), dx.raw())}};
    if (ws->get(true)) a[DNNL_ARG_WORKSPACE] = *ws;
    run(bwd.prim, a);
    n.inputs[0]->accumulate(dx);
  });
}

}  // namespace

Var max_pool2d(const Var& x, int64_t kernel, int64_t stride, int64_t padding) {
  return pool2d(x, dnnl::algorithm::pooling_max, kernel, stride, padding, "max");
}

Var avg_pool2d(const Var& x, int64_t kernel, int64_t stride, int64_t padding) {
  // PyTorch's default counts the padding (count_include_pad=True).
  return pool2d(x, dnnl::algorithm::pooling_avg_include_padding, kernel, stride, padding, "avg");
}

Var global_avg_pool(const Var& xv) {
  const Tensor& x = xv.value();
  if (x.rank() != 4) SSLKIT_FAIL(std::string("global_avg_pool wants [N,H,W,C]"));
  const int64_t N = x.dim(0), HW = x.dim(1) * x.dim(2), C = x.dim(3);
  Tensor y({N, C}, x.dtype());
  const float inv = 1.0f / static_cast<float>(HW);
#pragma omp parallel for
  for (int64_t n = 0; n < N; ++n) {
    std::vector<float> acc(C, 0.f);
    for (int64_t p = 0; p < HW; ++p) {
      const int64_t base = (n * HW + p) * C;
      for (int64_t c = 0; c < C; ++c) acc[c] += load(x, base + c);
    }
    for (int64_t c = 0; c < C; ++c) store(y, n * C + c, acc[c] * inv);
  }
  return make_result(y, {xv}, [=](Node& n) {
    Tensor dx(x.shape(), x.dtype());
    const Tensor& g = n.grad;
#pragma omp parallel for
    for (int64_t i = 0; i < N; ++i)
      for (int64_t p = 0; p < HW; ++p)
        for (int64_t c = 0; c < C; ++c) store(dx, (i * HW + p) * C + c, load(g, i * C + c) * inv);
    n.inputs[0]->accumulate(dx);
  });
}

}  // namespace sslkit::nn
