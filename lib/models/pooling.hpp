// Pooling over the real positions of padded sequences (tokens, audio frames).
#pragma once
#include <cstdint>
#include <vector>

#include "nn/var.hpp"

namespace sslkit::models {

// h [rows * length, D], the first lengths[r] positions of row r real (at
// least its first) -> [rows, D], the mean over them. A batched matmul of
// per-row averaging weights [rows, 1, length] with h [rows, length, D].
nn::Var sequence_mean(const nn::Var& h, const std::vector<int32_t>& lengths, int64_t length);

}  // namespace sslkit::models
