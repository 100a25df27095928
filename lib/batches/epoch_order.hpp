// Which rows make the batch of a global step: a seeded permutation of the
// rows per epoch, whole batches only. The same (seed, rows, batch) gives the
// same order in any run, so a resumed run draws what an uninterrupted one
// would have.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace sslkit::batches {

class EpochOrder {
 public:
  // Error naming `subject` when `rows` holds fewer rows than one batch.
  EpochOrder(std::vector<size_t> rows, int batch, uint64_t seed, const std::string& subject);
  int64_t steps_per_epoch() const { return steps_per_epoch_; }
  // The rows of the batch of `step`: in batch order, and sorted and
  // distinct for one read, with where each batch row sits in that read.
  struct Step {
    int64_t epoch;
    std::vector<size_t> rows, sorted, at;
  };
  Step step(int64_t step);

 private:
  std::vector<size_t> rows_, perm_;
  int batch_;
  uint64_t seed_;
  int64_t steps_per_epoch_ = 0, perm_epoch_ = -1;
};

}  // namespace sslkit::batches
