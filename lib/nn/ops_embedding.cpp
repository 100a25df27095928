// Embedding lookup: rows of a table [V,D] gathered by id. The gradient is a
// scatter-add into a zero [V,D] table, so repeated ids add up.
#include <cstring>

#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

Var embedding(const Var& table, const std::vector<int32_t>& ids) {
  OpTimer timer("embedding.fwd");
  const Tensor& t = table.value();
  if (t.rank() != 2) SSLKIT_FAIL(std::string("embedding table ") + shape_str(t.shape()) + " is not [V,D]");
  const int64_t V = t.dim(0), D = t.dim(1), n = static_cast<int64_t>(ids.size());
  // Ids come from data (tokenisers, vocab files): a bad one is a data error, not a crash.
  for (auto id : ids)
    if (id < 0 || id >= V)
      throw Error("", "token id " + std::to_string(id) + " outside the vocabulary of " + std::to_string(V));
  Tensor y({n, D}, t.dtype());
  const size_t es = t.dtype() == DType::f32 ? 4 : 2;
#pragma omp parallel for if (n * D > 65536)
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(static_cast<char*>(y.raw()) + i * D * es, static_cast<const char*>(t.raw()) + ids[i] * D * es, D * es);
  return make_result(y, {table}, [ids, V, D, n](Node& nd) {
    OpTimer tm("embedding.bwd");
    // f32 accumulation whatever the dtypes: many rows may add into one.
    // Parallel over columns, so two threads never touch one element.
    Tensor g = Tensor::zeros({V, D});
    float* gp = g.f32();
    const Tensor& dy = nd.grad;
#pragma omp parallel for if (n * D > 65536)
    for (int64_t d = 0; d < D; ++d)
      for (int64_t i = 0; i < n; ++i) gp[ids[i] * D + d] += load(dy, i * D + d);
    nd.inputs[0]->accumulate(g);
  });
}

}  // namespace sslkit::nn
