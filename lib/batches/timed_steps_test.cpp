#include <doctest/doctest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "batches/timed_steps.hpp"

using namespace sslkit;

TEST_CASE("timed steps: consecutive global steps from the first - the time spent making them counted") {
  batches::TimedSteps steps(7);
  std::vector<int64_t> made;
  for (int i = 0; i < 3; ++i)
    made.push_back(steps.next([](int64_t step) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      return step;
    }));
  CHECK(made == std::vector<int64_t>{7, 8, 9});
  CHECK(steps.busy_seconds() >= 0.015);
  CHECK(steps.busy_seconds() < 5);
}
