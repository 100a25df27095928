#include "methods/skipgram_pairs.hpp"

#include <algorithm>
#include <cmath>

namespace sslkit::methods {

NegativeTable::NegativeTable(std::span<const float> counts) {
  cumulative_.resize(counts.size());
  double total = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    total += counts[i] > 0 ? std::pow(static_cast<double>(counts[i]), 0.75) : 0.0;
    cumulative_[i] = total;
  }
}

int32_t NegativeTable::draw(Rng& rng) const {
  const double x = rng.uniform() * cumulative_.back();
  // The first id whose cumulative weight exceeds x: a zero-count id adds
  // nothing, so x never lands on it.
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), x);
  return static_cast<int32_t>(std::min<ptrdiff_t>(it - cumulative_.begin(), cumulative_.size() - 1));
}

SkipgramPairs draw_pairs(const std::vector<int32_t>& ids, const std::vector<int32_t>& lengths, int64_t length,
                         std::span<const float> counts, const SkipgramSampling& s, Rng& rng) {
  SkipgramPairs out;
  const NegativeTable table(counts);
  if (table.empty()) return out;
  double total = 0;
  for (float c : counts) total += c;
  std::vector<int32_t> kept;
  for (size_t r = 0; r < lengths.size(); ++r) {
    const int64_t len = std::clamp<int64_t>(lengths[r], 0, length);
    kept.clear();
    for (int64_t k = 0; k < len; ++k) {
      const int32_t id = ids[r * length + k];
      ++out.tokens;
      if (s.subsample > 0) {
        const double f = std::max(static_cast<double>(counts[id]), 1.0) / total, q = s.subsample / f;
        if (rng.uniform() >= std::sqrt(q) + q) continue;
      }
      kept.push_back(id);
    }
    out.kept_tokens += static_cast<int64_t>(kept.size());
    // Windows run over the kept tokens, so discarding a frequent token
    // brings farther ones into reach (word2vec, fastText).
    const int64_t n = static_cast<int64_t>(kept.size());
    for (int64_t i = 0; i < n; ++i) {
      const int64_t b = 1 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(s.window)));
      for (int64_t j = std::max<int64_t>(0, i - b); j <= std::min(n - 1, i + b); ++j) {
        if (j == i) continue;
        out.centers.push_back(kept[i]);
        out.targets.push_back(kept[j]);
        for (int64_t k = 0; k < s.negatives; ++k) {
          // fastText redraws a negative that is the context itself; a
          // vocabulary of one seen token gives up after a few tries.
          int32_t neg = table.draw(rng);
          for (int tries = 0; neg == kept[j] && tries < 16; ++tries) neg = table.draw(rng);
          out.targets.push_back(neg);
        }
      }
    }
  }
  return out;
}

}  // namespace sslkit::methods
