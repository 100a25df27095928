// A source of training batches, what the trainer sees of the data: the
// batch of each global step in turn, made when asked (TimedSteps) in the
// seeded order of the rows (EpochOrder). Images, text and audio each make
// their batch their own way (make); the rest is here, once.
#pragma once
#include <cstdint>
#include <memory>

#include "batches/epoch_order.hpp"
#include "batches/timed_steps.hpp"
#include "io/data_file.hpp"
#include "methods/method.hpp"

namespace sslkit::batches {

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  BatchSource(const BatchSource&) = delete;
  BatchSource& operator=(const BatchSource&) = delete;
  methods::Batch next() {
    return steps_.next([this](int64_t step) { return make(step); });
  }
  int64_t steps_per_epoch() const { return order_->steps_per_epoch(); }
  // Seconds spent making batches (the profile's data time).
  double busy_seconds() const { return steps_.busy_seconds(); }

 protected:
  BatchSource(const io::DataReader& in, int64_t first_step) : in_(in), steps_(first_step) {}
  // The batch of global step `step`: the same for a resumed run as for an
  // uninterrupted one.
  virtual methods::Batch make(int64_t step) = 0;
  const io::DataReader& in_;
  std::unique_ptr<EpochOrder> order_;  // set by the derived constructor, once it knows the rows

 private:
  TimedSteps steps_;
};

}  // namespace sslkit::batches
