// Looking inside a masked language model: the top-k tokens it predicts for
// each [MASK] of a sentence, decoded with the tokenizer stored in the model
// file (ssl-info MODEL --predict "the cat sat on the [MASK]"). ssl-info's
// inference, so it lives with info; it loads the model through lib/train,
// which puts this file above train (nothing in train or below includes
// lib/info).
#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace sslkit::info {

struct MaskGuess {
  std::string piece;   // as the tokenizer spells it, the word-start mark shown as a space
  int32_t id;
  double probability;
};

struct FillMask {
  std::vector<std::vector<MaskGuess>> masks;  // per [MASK], the k most likely non-special tokens
  std::string filled;                         // the sentence with each [MASK] replaced by its first guess
};

// `text` holds [MASK] one or more times; it is framed by [CLS] ... [SEP]
// as ssl-import frames records. Errors name `model`.
FillMask fill_mask(const std::string& model, const std::string& text, int top_k);

// ssl-info --predict: the guesses of `model` for `text`, a line per [MASK]
// and the filled sentence, or as JSON.
void print_fill_mask(const std::string& model, const std::string& text, int top_k, bool json, std::ostream& out);

}  // namespace sslkit::info
