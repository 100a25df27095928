// What one skip-gram step trains on, drawn from a batch's token rows as
// word2vec and fastText's -skipgram draw it: frequent tokens discarded at
// random (keep sqrt(t/f) + t/f of a token of frequency f), each kept token
// paired with every kept token within a window drawn uniformly from
// 1..window on either side, and each pair given `negatives` tokens drawn
// from the unigram distribution raised to 3/4 (never the pair's context).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "core/rng.hpp"

namespace sslkit::methods {

struct SkipgramSampling {
  int64_t window = 5;       // fastText's -ws
  int64_t negatives = 5;    // fastText's -neg
  double subsample = 1e-4;  // fastText's -t; 0 keeps every token
};

// Pair p is centers[p] (read through the input vectors) with its context
// targets[p * (1 + negatives)] and then its negatives (read through the
// output vectors), as nn::skipgram_loss takes them.
struct SkipgramPairs {
  std::vector<int32_t> centers, targets;
  int64_t kept_tokens = 0, tokens = 0;  // after and before subsampling
  int64_t size() const { return static_cast<int64_t>(centers.size()); }
};

// Draws token ids with probability proportional to count^0.75 (word2vec's
// table, by binary search over the cumulative weights instead of a table of
// 1e8 slots). Tokens never counted are never drawn.
class NegativeTable {
 public:
  explicit NegativeTable(std::span<const float> counts);
  bool empty() const { return cumulative_.empty() || cumulative_.back() <= 0; }
  int32_t draw(Rng& rng) const;

 private:
  std::vector<double> cumulative_;
};

// The pairs of rows ids [rows, length] (lengths[r] real tokens each) given
// token counts over what training has seen (frequencies for subsampling
// and negatives). Only `rng` decides the draws: the same seed, rows and
// counts give the same pairs.
SkipgramPairs draw_pairs(const std::vector<int32_t>& ids, const std::vector<int32_t>& lengths, int64_t length,
                         std::span<const float> counts, const SkipgramSampling& s, Rng& rng);

}  // namespace sslkit::methods
