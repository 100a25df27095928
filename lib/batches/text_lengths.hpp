// How long the sequences of a text run may be, checked before a model is
// built: rows too long for a text encoder fail naming the file and the
// cause, rather than as "out of memory" minutes later.
#pragma once
#include <cstdint>

#include "io/data_file.hpp"
#include "methods/method.hpp"

namespace sslkit::batches {

// Error naming `in` when a model of `mp` (arch, max_len: its learned
// positions) cannot train on its rows of `width` tokens in batches of
// `batch`: more than models::kMaxTextPositions positions, or attention
// ([batch x heads, width, width] scores and probabilities kept per layer
// for the backward) larger than this machine's memory.
void check_text_lengths(const io::DataReader& in, const methods::MethodParams& mp, int64_t width, int64_t batch);

}  // namespace sslkit::batches
