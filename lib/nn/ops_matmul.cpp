// Batched matmul over oneDNN. Gradients are matmuls over transposed
// descriptors of the same buffers (dA = dY B^T, dB = A^T dY); oneDNN 2.6
// has no matmul backward and a transposed destination falls back to a slow
// reference kernel, so only inputs are ever described transposed.
#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

namespace {

using dnnl::memory;
using tag = memory::format_tag;

struct MatmulPrim {
  dnnl::matmul prim;
};

// A [B,M,K] (or its transpose stored [B,K,M] when ta) times B [B,K,N]
// (or stored [B,N,K] when tb) into C [B,M,N], all f32 or all `dt`.
void batched(const void* a, bool ta, const void* b, bool tb, void* c, int64_t B, int64_t M, int64_t K, int64_t N,
             DType dt) {
  auto a_md = memory::desc({B, M, K}, dnnl_type(dt), ta ? tag::acb : tag::abc);
  auto b_md = memory::desc({B, K, N}, dnnl_type(dt), tb ? tag::acb : tag::abc);
  auto c_md = memory::desc({B, M, N}, dnnl_type(dt), tag::abc);
  const std::string key =
      "matmul|" + dims_key({B, M, K, N}) + (ta ? "T" : "N") + (tb ? "T" : "N") + "|" + dtype_name(dt);
  auto& mm = primitive_cache().get<MatmulPrim>(key, [&] {
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), engine());
    return MatmulPrim{dnnl::matmul(pd)};
  });
  run(mm.prim, {{DNNL_ARG_SRC, memory(a_md, engine(), const_cast<void*>(a))},
                {DNNL_ARG_WEIGHTS, memory(b_md, engine(), const_cast<void*>(b))},
                {DNNL_ARG_DST, memory(c_md, engine(), c)}});
  count_flops(2.0 * static_cast<double>(B) * static_cast<double>(M) * static_cast<double>(K) * static_cast<double>(N));
}

}  // namespace

Var matmul(const Var& av, const Var& bv, bool transpose_b) {
  const Tensor& a = av.value();
  Tensor b = bv.value();
  const std::string layer = layer_label(a.shape(), b.shape());
  OpTimer timer("matmul.fwd", layer);
  if (b.dtype() != a.dtype()) b = b.to(a.dtype());
  const bool ok_rank = (a.rank() == 2 || a.rank() == 3) && (b.rank() == 2 || b.rank() == a.rank());
  if (!ok_rank) SSLKIT_FAIL(std::string("matmul ") + shape_str(a.shape()) + " by " + shape_str(b.shape()));
  const int64_t M = a.dim(-2), K = a.dim(-1);
  const int64_t N = transpose_b ? b.dim(-2) : b.dim(-1);
  const int64_t Kb = transpose_b ? b.dim(-1) : b.dim(-2);
  if (Kb != K || (b.rank() == 3 && b.dim(0) != a.dim(0)))
    SSLKIT_FAIL(std::string("matmul ") + shape_str(a.shape()) + " by " + shape_str(b.shape()) +
                        (transpose_b ? " (transposed)" : ""));
  // A batch of A against one shared B is a single matmul of [B*M, K] rows
  // (row-major, so the batch folds into M for free); only a batched B needs
  // oneDNN's batch dimension.
  const int64_t B = b.rank() == 3 ? a.dim(0) : 1;
  const int64_t Mf = b.rank() == 3 ? M : a.numel() / K;
  Shape out_shape = a.shape();
  out_shape.back() = N;
  Tensor y(out_shape, a.dtype());
  batched(a.raw(), false, b.raw(), transpose_b, y.raw(), B, Mf, K, N, a.dtype());
  const DType bdt = bv.dtype();
  return make_result(y, {av, bv}, [=](Node& n) {
    OpTimer t("matmul.bwd", layer);
    const Tensor g = n.grad.dtype() == a.dtype() ? n.grad : n.grad.to(a.dtype());
    if (n.inputs[0]->requires_grad) {
      // dA [M,K] = dY [M,N] * B^T: B stored [K,N] is read transposed; B stored [N,K] is read plainly.
      Tensor da(a.shape(), a.dtype());
      batched(g.raw(), false, b.raw(), !transpose_b, da.raw(), B, Mf, N, K, a.dtype());
      n.inputs[0]->accumulate(da);
    }
    if (n.inputs[1]->requires_grad) {
      // With a shared B the folded rows also sum the batch's contributions.
      Tensor db(b.shape(), a.dtype());
      if (!transpose_b)  // dB [K,N] = A^T [K,M] * dY [M,N]
        batched(a.raw(), true, g.raw(), false, db.raw(), B, K, Mf, N, a.dtype());
      else  // dB [N,K] = dY^T [N,M] * A [M,K]
        batched(g.raw(), true, a.raw(), false, db.raw(), B, N, Mf, K, a.dtype());
      n.inputs[1]->accumulate(db.to(bdt));
    }
  });
}

}  // namespace sslkit::nn
