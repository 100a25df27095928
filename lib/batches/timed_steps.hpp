// The global steps a batch source makes, one after the other from the first
// (a resumed run's), each batch made inline when the trainer asks for it.
// No loader thread: measured on 2 cores with a bf16 step, a third thread
// beside oneDNN's two cost 10 % of the step (it preempts them at their
// barriers), more than making the batch between steps on both cores.
// Timed, so ssl-pretrain can say what share of the run went to batches.
#pragma once
#include <chrono>
#include <cstdint>
#include <utility>

namespace sslkit::batches {

class TimedSteps {
 public:
  explicit TimedSteps(int64_t first_step) : step_(first_step) {}

  // `make(step)` builds the batch of the next global step.
  template <class Make>
  auto next(Make&& make) {
    const auto t0 = std::chrono::steady_clock::now();
    auto batch = std::forward<Make>(make)(step_++);
    busy_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return batch;
  }
  // Seconds spent making batches so far.
  double busy_seconds() const { return busy_; }

 private:
  int64_t step_;
  double busy_ = 0;
};

}  // namespace sslkit::batches
