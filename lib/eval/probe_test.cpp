#include <doctest/doctest.h>

#include <cmath>

#include "core/rng.hpp"
#include "eval/probe.hpp"

using namespace sslkit;

TEST_CASE("score: accuracy - per-class accuracy and confusion by hand") {
  eval::Metrics m = eval::score({0, 1, 1, 2, 0, -1}, {0, 1, 2, 2, 1, -1}, 3);
  CHECK(m.accuracy == doctest::Approx(3.0 / 5));  // the -1 row is unlabelled
  CHECK(m.confusion[2][1] == 1);
  CHECK(m.confusion[1][0] == 1);
  CHECK(m.per_class[0] == doctest::Approx(1.0));
  CHECK(m.per_class[1] == doctest::Approx(0.5));
  CHECK(m.per_class[2] == doctest::Approx(0.5));
}

TEST_CASE("labelled_subset is stratified - at least one per class - and deterministic") {
  std::vector<int32_t> y;
  for (int i = 0; i < 1000; ++i) y.push_back(i % 10 == 0 ? 1 : 0);  // 900 of class 0, 100 of class 1
  y.push_back(2);
  y.push_back(-1);
  auto s = eval::labelled_subset(y, 0.1, 7);
  int count[3] = {0, 0, 0};
  for (size_t r : s) count[y[r]]++;
  CHECK(count[0] == 90);
  CHECK(count[1] == 10);
  CHECK(count[2] == 1);
  CHECK(s == eval::labelled_subset(y, 0.1, 7));
  CHECK(s != eval::labelled_subset(y, 0.1, 8));
}
