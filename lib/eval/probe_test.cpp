#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/rng.hpp"
#include "eval/probe.hpp"
#include "nn/engine.hpp"

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

namespace {

// Labelled rows of a few coordinates each, written out by hand.
eval::Features rows_of(int64_t d, std::vector<float> x, std::vector<int32_t> y) {
  eval::Features f;
  f.d = d;
  f.n = static_cast<int64_t>(y.size());
  f.x = std::move(x);
  f.y = std::move(y);
  return f;
}

std::vector<size_t> all_rows(const eval::Features& f) {
  std::vector<size_t> r(f.n);
  for (size_t i = 0; i < r.size(); ++i) r[i] = i;
  return r;
}

}  // namespace

TEST_CASE("euclidean kNN: a majority of the k nearest by hand") {
  nn::init_engine();
  // On a line: 0 and 1 are class 0, 2, 10 and 11 class 1.
  eval::Features tr = rows_of(1, {0, 1, 2, 10, 11}, {0, 0, 1, 1, 1});
  // 1.4: nearest 1 (0.4, class 0), 2 (0.6, class 1), 0 (1.4, class 0): 2 votes to 1.
  // 10.4: 10, 11 and 2, all class 1. -3: 0, 1 and 2: class 0 two to one.
  eval::Features te = rows_of(1, {1.4f, 10.4f, -3}, {0, 1, 0});
  CHECK(eval::knn_predict_euclidean(tr, all_rows(tr), te, 3, 2) == std::vector<int32_t>{0, 1, 0});
  // k = 1: the nearest alone; 1.6 is nearer 2 (class 1) than 1.
  eval::Features near2 = rows_of(1, {1.6f}, {1});
  CHECK(eval::knn_predict_euclidean(tr, all_rows(tr), near2, 1, 2) == std::vector<int32_t>{1});
  // Only the given rows are neighbours: without rows 0 and 1, 1.4 is class 1's.
  CHECK(eval::knn_predict_euclidean(tr, {2, 3, 4}, te, 3, 2) == std::vector<int32_t>{1, 1, 1});
  // k beyond the rows: all of them vote (3 of class 1 against 2).
  CHECK(eval::knn_predict_euclidean(tr, all_rows(tr), te, 50, 2) == std::vector<int32_t>{1, 1, 1});
}

TEST_CASE("euclidean kNN: one vote each - not weighted by nearness") {
  nn::init_engine();
  // (0.1, 0) is very near the class-1 point at the origin, but its other two
  // neighbours, 2.9 and 3.0 away, are class 0 and outvote it.
  eval::Features tr = rows_of(2, {0, 0, 3, 0, 0, 3, 9, 9}, {1, 0, 0, 1});
  eval::Features te = rows_of(2, {0.1f, 0}, {0});
  CHECK(eval::knn_predict_euclidean(tr, all_rows(tr), te, 3, 2) == std::vector<int32_t>{0});
  CHECK(eval::knn_predict_euclidean(tr, all_rows(tr), te, 1, 2) == std::vector<int32_t>{1});
}

TEST_CASE("euclidean kNN: raw distances - not directions") {
  nn::init_engine();
  // (1, 0) and (10, 0) point the same way (cosine cannot tell them apart);
  // (9, 0) is 1 from the second and 8 from the first.
  eval::Features tr = rows_of(2, {1, 0, 10, 0}, {0, 1});
  eval::Features te = rows_of(2, {9, 0, 2, 0}, {1, 0});
  CHECK(eval::knn_predict_euclidean(tr, all_rows(tr), te, 1, 2) == std::vector<int32_t>{1, 0});
}

TEST_CASE("euclidean kNN: ties") {
  nn::init_engine();
  SUBCASE("a tied vote goes to the lowest class id - not the nearest's") {
    // 0.2: nearest 0 (class 2), then 1 (class 1); one vote each: class 1.
    eval::Features tr = rows_of(1, {0, 1, 5}, {2, 1, 0});
    eval::Features te = rows_of(1, {0.2f}, {2});
    CHECK(eval::knn_predict_euclidean(tr, all_rows(tr), te, 2, 3) == std::vector<int32_t>{1});
  }
  SUBCASE("equal distances rank the lower training row first") {
    // 0 is 1 from both; k = 1 takes row 0 (class 1).
    eval::Features tr = rows_of(1, {-1, 1}, {1, 0});
    eval::Features te = rows_of(1, {0}, {0});
    CHECK(eval::knn_predict_euclidean(tr, all_rows(tr), te, 1, 2) == std::vector<int32_t>{1});
    eval::Features swapped = rows_of(1, {1, -1}, {0, 1});
    CHECK(eval::knn_predict_euclidean(swapped, all_rows(swapped), te, 1, 2) == std::vector<int32_t>{0});
  }
}

TEST_CASE("the metrics JSON records the kNN metric - k and temperature") {
  eval::Metrics m = eval::score({0, 1}, {0, 1}, 2);
  eval::FinetuneOptions o;
  o.mode = "knn";
  auto j = nlohmann::json::parse(m.summary_json(o));
  CHECK(j["knn_metric"] == "cosine");
  CHECK(j["k"] == 200);
  CHECK(j["temperature"] == doctest::Approx(0.1));
  o.knn_metric = "euclidean";
  o.k = 5;
  j = nlohmann::json::parse(m.summary_json(o));
  CHECK(j["knn_metric"] == "euclidean");
  CHECK(j["k"] == 5);
  CHECK(j["temperature"].is_null());  // one vote per neighbour: no temperature
  o.mode = "linear";
  CHECK_FALSE(nlohmann::json::parse(m.summary_json(o)).contains("knn_metric"));
}

TEST_CASE("cosine kNN: weighted votes by hand - several rules in one pass match one at a time") {
  nn::init_engine();
  // Unit vectors in the plane at angles; class 0 near 0 rad, class 1 spread around 1 rad.
  auto at = [](double a) { return std::vector<float>{static_cast<float>(std::cos(a)), static_cast<float>(std::sin(a))}; };
  std::vector<float> x;
  for (double a : {0.0, 0.5, 0.9, 1.0, 1.1}) {
    auto v = at(a);
    x.insert(x.end(), v.begin(), v.end());
  }
  eval::Features tr = rows_of(2, x, {0, 0, 1, 1, 1});
  auto q = at(0.4);  // nearest: 0.5 (class 0); the next are 0.0 (class 0) and 0.9, 1.0, 1.1 (class 1)
  eval::Features te = rows_of(2, q, {0});
  CHECK(eval::knn_predict(tr, all_rows(tr), te, 1, 0.1, 2) == std::vector<int32_t>{0});
  // All five at T=10: weights near 1 each, three votes for class 1 beat two.
  CHECK(eval::knn_predict(tr, all_rows(tr), te, 5, 10.0, 2) == std::vector<int32_t>{1});
  // All five at T=0.01: the closest dominates (exp(cos/T) grows fast).
  CHECK(eval::knn_predict(tr, all_rows(tr), te, 5, 0.01, 2) == std::vector<int32_t>{0});
  auto both = eval::knn_predict(tr, all_rows(tr), te, {{5, 10.0}, {1, 0.1}, {5, 0.01}}, 2);
  REQUIRE(both.size() == 3);
  CHECK(both[0] == std::vector<int32_t>{1});
  CHECK(both[1] == std::vector<int32_t>{0});
  CHECK(both[2] == std::vector<int32_t>{0});
  // On random data, each rule of a combined pass equals its own call.
  Rng rng(3, 0);
  std::vector<float> bx(300 * 8), qx(40 * 8);
  std::vector<int32_t> by(300), qy(40);
  for (auto& v : bx) v = static_cast<float>(rng.uniform(-1, 1));
  for (auto& v : qx) v = static_cast<float>(rng.uniform(-1, 1));
  for (size_t i = 0; i < by.size(); ++i) by[i] = static_cast<int32_t>(i % 4);
  for (size_t i = 0; i < qy.size(); ++i) qy[i] = static_cast<int32_t>(i % 4);
  eval::Features b = rows_of(8, bx, by), qq = rows_of(8, qx, qy);
  auto multi = eval::knn_predict(b, all_rows(b), qq, {{200, 0.1}, {20, 0.07}, {400, 0.5}}, 4);
  CHECK(multi[0] == eval::knn_predict(b, all_rows(b), qq, 200, 0.1, 4));
  CHECK(multi[1] == eval::knn_predict(b, all_rows(b), qq, 20, 0.07, 4));
  CHECK(multi[2] == eval::knn_predict(b, all_rows(b), qq, 400, 0.5, 4));  // k beyond the bank: all rows
}
