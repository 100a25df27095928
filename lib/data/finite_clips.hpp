// Clips read back from a file are checked before a tool computes on them:
// NaN or Inf in /audio (a file written before ssl-import refused them, or
// by another program) would otherwise become NaN embeddings or log-mel
// features and a silent, meaningless score.
#pragma once
#include <cstddef>
#include <string>

namespace sslkit::data {

// Throws Error(file, "/audio row R holds NaN at sample K; ...") for the
// first value of `n` rows of `t` samples (row `first_row` first) that is
// NaN or infinite.
void require_finite_clips(const std::string& file, const float* clips, size_t n, size_t t, size_t first_row);

}  // namespace sslkit::data
