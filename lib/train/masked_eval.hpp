// Held-out evaluation of masked language modelling: masked-token accuracy
// and perplexity on a fixed set of rows with fixed masks (one draw per
// sample, the same at every evaluation of a run, so the curve moves only
// with the model), and the unigram baseline on the same positions.
#pragma once
#include <cstdint>
#include <vector>

#include "io/data_file.hpp"
#include "methods/method.hpp"

namespace sslkit::train {

struct MaskedScore {
  double accuracy = 0;    // of the selected positions, the label ranked first
  double perplexity = 0;  // exp(mean cross-entropy over the selected positions)
  int64_t tokens = 0;     // selected positions scored
};

// Rows `rows` of text file `in`, masked by lib/mask's mlm scheme with
// `seed` (or by the file's own masks, an ssl-mask output: then every tool
// that reads the file scores the same positions), through `m` in batches of
// `batch` rows, without gradients.
MaskedScore evaluate_masked_lm(methods::Method& m, const io::DataReader& in, const std::vector<size_t>& rows,
                               uint64_t seed, nn::DType dtype, int batch = 64);

// Tokens of rows `rows` of text file `in` that masking may select: those
// within each row's length that are not special pieces.
int64_t maskable_tokens(const io::DataReader& in, const std::vector<size_t>& rows);

// Always predicting the most frequent token of `train_rows` of `train`, and
// their unigram distribution (add-one smoothed) as the model, scored on the
// positions evaluate_masked_lm(eval, rows, seed) scores.
MaskedScore unigram_baseline(const io::DataReader& train, const std::vector<size_t>& train_rows,
                             const io::DataReader& eval, const std::vector<size_t>& rows, uint64_t seed);

}  // namespace sslkit::train
