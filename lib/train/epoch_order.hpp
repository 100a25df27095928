// Which rows make the batch of a global step: a seeded permutation of the
// rows per epoch, whole batches only. The same (seed, rows, batch) gives the
// same order in any run, so a resumed run draws what an uninterrupted one
// would have.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace sslkit::train {

class EpochOrder {
 public:
  // Error naming `subject` when `rows` holds fewer rows than one batch.
  EpochOrder(std::vector<size_t> rows, int batch, uint64_t seed, const std::string& subject);
  int64_t steps_per_epoch() const { return steps_per_epoch_; }
  int64_t epoch_of(int64_t step) const { return step / steps_per_epoch_; }
  // The file rows of the batch of `step`, in batch order.
  std::vector<size_t> rows_of(int64_t step);

 private:
  std::vector<size_t> rows_, perm_;
  int batch_;
  uint64_t seed_;
  int64_t steps_per_epoch_ = 0, perm_epoch_ = -1;
};

// Rows sorted and distinct, for one read; `at[i]` is where batch row i is.
std::vector<size_t> sorted_rows(const std::vector<size_t>& rows, std::vector<size_t>& at);

}  // namespace sslkit::train
