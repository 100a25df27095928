// Which rows make the batch of a global step: a seeded permutation of the
// rows per epoch, whole batches only. The same (seed, rows, batch) gives the
// same order in any run, so a resumed run draws what an uninterrupted one
// would have. In a job of K ranks (core/dist) each rank takes its own K-th
// of every step's batch, in rank order: rows r*B/K..(r+1)*B/K of the batch
// one process would draw, so K ranks together draw exactly its rows, and a
// run resumed at another K continues the same order.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace sslkit::batches {

class EpochOrder {
 public:
  // Error naming `subject` when `rows` holds fewer rows than one batch;
  // usage error when `batch` (the global batch) does not split into `parts`
  // equal slices. This process takes slice `part` of each step's batch.
  EpochOrder(std::vector<size_t> rows, int batch, uint64_t seed, const std::string& subject, int part = 0,
             int parts = 1);
  int64_t steps_per_epoch() const { return steps_per_epoch_; }
  // This slice's rows of the batch of `step`: in batch order, and sorted and
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
  int part_ = 0, parts_ = 1;
  int64_t steps_per_epoch_ = 0, perm_epoch_ = -1;
};

}  // namespace sslkit::batches
