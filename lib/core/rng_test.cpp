#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>

#include "core/rng.hpp"

using sslkit::Rng;

TEST_CASE("rng: same seed and stream give the same sequence - others differ") {
  Rng a(42, 7), b(42, 7), c(42, 8), d(43, 7);
  bool differ_c = false, differ_d = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.next();
    CHECK(x == b.next());
    differ_c |= x != c.next();
    differ_d |= x != d.next();
  }
  CHECK(differ_c);
  CHECK(differ_d);
}

TEST_CASE("rng: below(n) is uniform") {
  Rng r(1);
  std::vector<int> counts(10, 0);
  const int draws = 100000;
  for (int i = 0; i < draws; ++i) ++counts[r.below(10)];
  // Each bucket ~10000, sd ~95: 5 sd bounds.
  for (int c : counts) CHECK(std::abs(c - draws / 10) < 500);
}

TEST_CASE("rng: uniform() lies in 0..1 with mean 1/2") {
  Rng r(3);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    double u = r.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
  }
  CHECK(sum / 100000 == doctest::Approx(0.5).epsilon(0.01));
}

TEST_CASE("rng: shuffle is a permutation and depends on the seed") {
  std::vector<int> v(100);
  std::iota(v.begin(), v.end(), 0);
  auto a = v, b = v;
  Rng(5).shuffle(a);
  Rng(6).shuffle(b);
  CHECK(a != v);
  CHECK(a != b);
  std::sort(a.begin(), a.end());
  CHECK(a == v);
}
