#include "train/epoch_order.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace sslkit::train {

EpochOrder::EpochOrder(std::vector<size_t> rows, int batch, uint64_t seed, const std::string& subject)
    : rows_(std::move(rows)), batch_(batch), seed_(seed) {
  steps_per_epoch_ = batch_ > 0 ? static_cast<int64_t>(rows_.size() / batch_) : 0;
  if (steps_per_epoch_ == 0)
    throw Error(subject, "has fewer samples than one batch (" + std::to_string(rows_.size()) + " < " +
                             std::to_string(batch_) + ")");
}

std::vector<size_t> EpochOrder::rows_of(int64_t step) {
  const int64_t epoch = step / steps_per_epoch_, k = step % steps_per_epoch_;
  if (epoch != perm_epoch_) {
    perm_.resize(rows_.size());
    std::iota(perm_.begin(), perm_.end(), size_t{0});
    Rng(seed_, 0xE90C, static_cast<uint64_t>(epoch)).shuffle(perm_);
    perm_epoch_ = epoch;
  }
  std::vector<size_t> out(batch_);
  for (int r = 0; r < batch_; ++r) out[r] = rows_[perm_[k * batch_ + r]];
  return out;
}

std::vector<size_t> sorted_rows(const std::vector<size_t>& rows, std::vector<size_t>& at) {
  std::vector<size_t> s = rows;
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  at.resize(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) at[i] = std::lower_bound(s.begin(), s.end(), rows[i]) - s.begin();
  return s;
}

}  // namespace sslkit::train
