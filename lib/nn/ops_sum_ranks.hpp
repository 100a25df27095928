// Differentiable collectives for statistics of the global batch (its own
// header so the many files that include nn/ops.hpp do not rebuild for it).
#pragma once
#include "nn/var.hpp"

namespace sslkit::nn {

// x f32 on each of K ranks -> the element-wise sum over ranks, on every rank;
// backward: the all-reduced (summed) gradient (why: ops_sum_ranks.cpp).
// One process: x itself.
Var sum_ranks(const Var& x);

}  // namespace sslkit::nn
