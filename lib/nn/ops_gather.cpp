// Rows from every rank of an MPI job (core/dist), with the gradient that goes
// with them: the op behind global negatives. On one process it returns its
// input unchanged and costs nothing.
#include <cstring>

#include "core/dist.hpp"
#include "core/error.hpp"
#include "nn/ops.hpp"

namespace sslkit::nn {

Var gather_rows(const Var& x) {
  const int k = dist::size();
  if (k == 1) return x;
  const Tensor& v = x.value();
  if (v.rank() < 1 || v.dtype() != DType::f32)
    SSLKIT_FAIL(std::string("gather_rows of ") + shape_str(v.shape()) + " (f32, rows first)");
  const size_t n = static_cast<size_t>(v.numel());
  Shape shape = v.shape();
  shape[0] *= k;
  Tensor y(shape, DType::f32);
  dist::allgather(v.f32(), n, y.f32());
  const Shape in_shape = v.shape();
  return make_result(y, {x}, [=](Node& node) {
    // Every rank's loss reads all K blocks, so this rank's rows get the SUM
    // over ranks of the gradient each rank holds for its block: a
    // reduce-scatter. Taking only the local gradient of the own block
    // (lightly#1528) drops what the other ranks' losses owe these rows.
    Tensor g(in_shape, DType::f32);
    dist::reduce_scatter_sum(node.grad.f32(), g.f32(), n);
    node.inputs[0]->accumulate(g);
  });
}

}  // namespace sslkit::nn
