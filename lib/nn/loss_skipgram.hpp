// Skip-gram's loss as one fused op (its own header so the many files that
// include nn/ops.hpp do not rebuild for it).
#pragma once
#include <cstdint>
#include <vector>

#include "nn/var.hpp"

namespace sslkit::nn {

// Skip-gram with negative sampling: pair p scores in_table[centers[p]] .
// out_table[t] for the 1 + negatives rows t = targets[p*(1+negatives) + k],
// the first its context token (label 1), the rest sampled negatives (label
// 0). Returns the mean over pairs of -log sigmoid(s_0) - sum_k log
// sigmoid(-s_k) (f32 [1]); gradients reach only the rows used. Both tables
// f32 [V,D].
Var skipgram_loss(const Var& in_table, const Var& out_table, const std::vector<int32_t>& centers,
                  const std::vector<int32_t>& targets, int64_t negatives);

}  // namespace sslkit::nn
