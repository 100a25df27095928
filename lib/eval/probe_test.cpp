#include <doctest/doctest.h>

#include <cmath>

#include "core/rng.hpp"
#include "eval/probe.hpp"
#include "nn/engine.hpp"

using namespace sslkit;

namespace {

// n points per class around K orthogonal centres; `flip` of the points
// carry a wrong label, so the best reachable accuracy is known.
eval::Features blobs(int K, int n, double spread, double flip, uint64_t seed) {
  Rng rng(seed);
  eval::Features f;
  f.d = K;
  for (int c = 0; c < K; ++c)
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < K; ++j) f.x.push_back(static_cast<float>((j == c ? 4.0 : 0.0) + spread * rng.uniform(-1, 1)));
      int y = c;
      if (rng.uniform() < flip) y = (c + 1) % K;
      f.y.push_back(y);
    }
  f.n = static_cast<int64_t>(f.y.size());
  return f;
}

}  // namespace

TEST_CASE("linear probe and kNN reach the known accuracy on separable data") {
  nn::init_engine();
  eval::Features tr = blobs(4, 200, 1.0, 0.0, 1), te = blobs(4, 100, 1.0, 0.0, 2);
  eval::FinetuneOptions o;
  for (std::string mode : {"linear", "knn"}) {
    CAPTURE(mode);
    o.mode = mode;
    o.k = 20;
    eval::Metrics m = eval::evaluate(tr, te, o, nullptr);
    CHECK(m.accuracy == doctest::Approx(1.0));
    CHECK(m.confusion.size() == 4);
    CHECK(m.per_class.size() == 4);
  }
}

TEST_CASE("with 20% of test labels flipped the accuracy is 0.8 within sampling noise") {
  nn::init_engine();
  eval::Features tr = blobs(3, 300, 1.0, 0.0, 3), te = blobs(3, 400, 1.0, 0.2, 4);
  eval::FinetuneOptions o;
  eval::Metrics m = eval::evaluate(tr, te, o, nullptr);
  // 1200 test points: a binomial std of about 0.012.
  CHECK(std::abs(m.accuracy - 0.8) < 0.04);
}

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
