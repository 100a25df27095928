// EpochOrder's per-rank slices: K ranks together draw one process's batch.
#include <doctest/doctest.h>

#include <numeric>

#include "batches/epoch_order.hpp"
#include "core/error.hpp"

using sslkit::batches::EpochOrder;

TEST_CASE("epoch order: the slices of K ranks put together are one process's batch - in rank order") {
  std::vector<size_t> rows(50);
  std::iota(rows.begin(), rows.end(), size_t{100});
  EpochOrder whole(rows, 12, 7, "x.h5");
  for (int parts : {2, 3, 4}) {
    std::vector<EpochOrder> slices;
    for (int p = 0; p < parts; ++p) slices.emplace_back(rows, 12, 7, "x.h5", p, parts);
    for (int64_t step : {0, 3, 4, 9}) {  // 4 steps an epoch: epochs 0, 1 and 2
      std::vector<size_t> joined;
      for (auto& s : slices) {
        CHECK(s.steps_per_epoch() == whole.steps_per_epoch());
        const auto st = s.step(step);
        CHECK(st.rows.size() == static_cast<size_t>(12 / parts));
        joined.insert(joined.end(), st.rows.begin(), st.rows.end());
      }
      CHECK(joined == whole.step(step).rows);
    }
  }
}

TEST_CASE("epoch order: a batch that does not split among the ranks is a usage error") {
  std::vector<size_t> rows(50);
  std::iota(rows.begin(), rows.end(), size_t{0});
  CHECK_THROWS_AS(EpochOrder(rows, 10, 1, "x.h5", 0, 3), sslkit::UsageError);
  CHECK_NOTHROW(EpochOrder(rows, 9, 1, "x.h5", 2, 3));
}
