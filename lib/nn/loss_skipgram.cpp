// Skip-gram with negative sampling (Mikolov et al. 2013; fastText's
// -skipgram) as one fused op. A step scores tens of thousands of (token,
// context) pairs of a few hundred multiply-adds each: gathering their rows
// into [pairs, D] tensors would copy more than it computes, so the dot
// products read the tables in place and the backward scatter-adds straight
// into the rows used (the other rows' gradients stay exactly 0).
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "nn/loss_skipgram.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

namespace {

// log(1 + exp(x)) without overflow: -log sigmoid(-x).
double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }

void check_ids(const std::vector<int32_t>& ids, int64_t V) {
  for (int32_t id : ids)
    if (id < 0 || id >= V)
      throw Error("", "token id " + std::to_string(id) + " outside the vocabulary of " + std::to_string(V));
}

}  // namespace

Var skipgram_loss(const Var& in_table, const Var& out_table, const std::vector<int32_t>& centers,
                  const std::vector<int32_t>& targets, int64_t negatives) {
  OpTimer timer("skipgram_loss.fwd");
  const Tensor &U = in_table.value(), &W = out_table.value();
  if (U.rank() != 2 || W.rank() != 2 || U.shape() != W.shape() || U.dtype() != DType::f32 || W.dtype() != DType::f32)
    SSLKIT_FAIL("skipgram_loss tables " + shape_str(U.shape()) + " and " + shape_str(W.shape()) +
                " are not two f32 [V,D]");
  const int64_t V = U.dim(0), D = U.dim(1), P = static_cast<int64_t>(centers.size()), S = negatives + 1;
  if (negatives < 0 || static_cast<int64_t>(targets.size()) != P * S)
    SSLKIT_FAIL("skipgram_loss: " + std::to_string(targets.size()) + " targets for " + std::to_string(P) +
                " pairs of 1 + " + std::to_string(negatives));
  check_ids(centers, V);
  check_ids(targets, V);
  if (P == 0) return make_result(Tensor::full({1}, 0.f), {in_table, out_table}, [](Node&) {});
  // d loss / d score for each scored row, divided by P (the loss is a mean
  // over pairs): sigmoid(s) - label.
  std::vector<float> coef(static_cast<size_t>(P * S));
  const float *u = U.f32(), *w = W.f32();
  double total = 0;
#pragma omp parallel for reduction(+ : total) if (P * S * D > 65536)
  for (int64_t p = 0; p < P; ++p) {
    const float* up = u + static_cast<int64_t>(centers[p]) * D;
    for (int64_t k = 0; k < S; ++k) {
      const float* wk = w + static_cast<int64_t>(targets[p * S + k]) * D;
      float s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t d = 0; d < D; ++d) s += up[d] * wk[d];
      // The context (k = 0) has label 1: -log sigmoid(s); a negative 0: -log sigmoid(-s).
      total += k == 0 ? softplus(-s) : softplus(s);
      const double sig = 1.0 / (1.0 + std::exp(-static_cast<double>(s)));
      coef[p * S + k] = static_cast<float>(((k == 0 ? sig - 1.0 : sig)) / static_cast<double>(P));
    }
  }
  Tensor loss = Tensor::full({1}, static_cast<float>(total / static_cast<double>(P)));
  return make_result(loss, {in_table, out_table}, [centers, targets, coef = std::move(coef), V, D, P, S](Node& nd) {
    OpTimer tm("skipgram_loss.bwd");
    const float dy = nd.grad.f32()[0];
    const float *u = nd.inputs[0]->value.f32(), *w = nd.inputs[1]->value.f32();
    Tensor gu = Tensor::zeros({V, D}), gw = Tensor::zeros({V, D});
    float *gup = gu.f32(), *gwp = gw.f32();
    // Each thread owns a slice of the columns, so no two threads add into
    // one element however often a row repeats; one slice a thread (in
    // multiples of 16 floats), so each pass over the pairs is as wide as it
    // can be.
    const int64_t threads = P * S * D > 65536 ? std::max(1, omp_get_max_threads()) : 1;
    const int64_t slice = std::max<int64_t>(16, (D / threads + 15) / 16 * 16);
    const int64_t blocks = (D + slice - 1) / slice;
#pragma omp parallel for num_threads(static_cast<int>(std::min(threads, blocks)))
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t d0 = b * slice, d1 = std::min(D, d0 + slice);
      for (int64_t p = 0; p < P; ++p) {
        const int64_t c = centers[p];
        const float* __restrict up = u + c * D;
        float* __restrict gup_c = gup + c * D;
        for (int64_t k = 0; k < S; ++k) {
          const int64_t t = targets[p * S + k];
          const float g = dy * coef[p * S + k];
          const float* __restrict wt = w + t * D;
          float* __restrict gwp_t = gwp + t * D;
#pragma omp simd
          for (int64_t d = d0; d < d1; ++d) {
            gup_c[d] += g * wt[d];
            gwp_t[d] += g * up[d];
          }
        }
      }
    }
    nd.inputs[0]->accumulate(gu);
    nd.inputs[1]->accumulate(gw);
  });
}

}  // namespace sslkit::nn
