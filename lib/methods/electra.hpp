// ELECTRA's parts that tests and the registry reach from outside its file
// (methods/electra.cpp holds the method).
#pragma once
#include <cstdint>
#include <vector>

#include "methods/method.hpp"
#include "models/encoder_shape.hpp"

namespace sslkit::methods {

// The generator's shape for a discriminator of shape `disc`: its depth,
// `fraction` of its width (rounded, at least 1), the reference's width / 64
// heads (at least one, fewer when they would not divide the width), an MLP
// 4 times its width.
models::EncoderShape electra_generator_shape(const models::EncoderShape& disc, double fraction);

// The discriminator's input and targets for batch `t` when the generator
// drew `sampled[j]` at flat position `at[j]` (the batch's selected
// positions, in order): `ids` gets the original tokens (the labels where
// selected) with the samples in place, and the result is 1 where a sample
// differs from the original, 0 at every other real token (a sample equal
// to the original counts as original), -100 at padding.
std::vector<int32_t> electra_disc_targets(const TokenBatch& t, const std::vector<int32_t>& at,
                                          const std::vector<int32_t>& sampled, std::vector<int32_t>* ids);

// One token for each of the first n rows of logits [>= n, V] (f32), drawn
// from their softmax at temperature 1: what the reference's Gumbel-max
// draws, here by the inverse of the cumulative distribution (one uniform a
// row where Gumbel noise needs V logarithms).
std::vector<int32_t> electra_sample(const nn::Tensor& logits, int64_t n, Rng& rng);

}  // namespace sslkit::methods
