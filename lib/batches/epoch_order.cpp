#include "batches/epoch_order.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace sslkit::batches {

EpochOrder::EpochOrder(std::vector<size_t> rows, int batch, uint64_t seed, const std::string& subject, int part,
                       int parts)
    : rows_(std::move(rows)), batch_(batch), seed_(seed), part_(part), parts_(parts) {
  SSLKIT_CHECK(parts >= 1 && part >= 0 && part < parts, "batch slice out of range");
  if (batch_ > 0 && batch_ % parts_ != 0)
    throw UsageError("--batch " + std::to_string(batch_) + " is the batch of all " + std::to_string(parts_) +
                     " ranks together and must split evenly among them: give a multiple of " + std::to_string(parts_));
  steps_per_epoch_ = batch_ > 0 ? static_cast<int64_t>(rows_.size() / batch_) : 0;
  if (steps_per_epoch_ == 0)
    throw Error(subject, "has fewer samples than one batch (" + std::to_string(rows_.size()) + " < " +
                             std::to_string(batch_) + ")");
}

EpochOrder::Step EpochOrder::step(int64_t step) {
  Step s;
  s.epoch = step / steps_per_epoch_;
  const int64_t k = step % steps_per_epoch_;
  if (s.epoch != perm_epoch_) {
    perm_.resize(rows_.size());
    std::iota(perm_.begin(), perm_.end(), size_t{0});
    Rng(seed_, 0xE90C, static_cast<uint64_t>(s.epoch)).shuffle(perm_);
    perm_epoch_ = s.epoch;
  }
  const int slice = batch_ / parts_, first = part_ * slice;
  s.rows.resize(slice);
  for (int r = 0; r < slice; ++r) s.rows[r] = rows_[perm_[k * batch_ + first + r]];
  s.sorted = s.rows;
  std::sort(s.sorted.begin(), s.sorted.end());
  s.sorted.erase(std::unique(s.sorted.begin(), s.sorted.end()), s.sorted.end());
  s.at.resize(s.rows.size());
  for (size_t i = 0; i < s.rows.size(); ++i)
    s.at[i] = std::lower_bound(s.sorted.begin(), s.sorted.end(), s.rows[i]) - s.sorted.begin();
  return s;
}

}  // namespace sslkit::batches
