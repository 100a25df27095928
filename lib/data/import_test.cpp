#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include "data/import.hpp"

using namespace sslkit::data;

TEST_CASE("plan_order: no options keeps every sample in source order") {
  ImportOptions o;
  auto p = plan_order(5, {}, o);
  CHECK(p.main == std::vector<size_t>{0, 1, 2, 3, 4});
  CHECK(p.held_out.empty());
}

TEST_CASE("plan_order: --limit without --shuffle keeps the first samples") {
  ImportOptions o;
  o.limit = 3;
  CHECK(plan_order(10, {}, o).main == std::vector<size_t>{0, 1, 2});
}

TEST_CASE("plan_order: --shuffle is a seeded permutation") {
  ImportOptions o;
  o.shuffle = true;
  o.seed = 1;
  auto a = plan_order(100, {}, o).main;
  auto b = plan_order(100, {}, o).main;
  o.seed = 2;
  auto c = plan_order(100, {}, o).main;
  CHECK(a == b);
  CHECK(a != c);
  std::set<size_t> s(a.begin(), a.end());
  CHECK(s.size() == 100);
}

TEST_CASE("plan_order: --split is stratified by label and disjoint") {
  std::vector<int32_t> labels;
  for (int c = 0; c < 4; ++c)
    for (int i = 0; i < 50 * (c + 1); ++i) labels.push_back(c);  // 50, 100, 150, 200
  ImportOptions o;
  o.split = 0.1;
  o.seed = 9;
  auto p = plan_order(labels.size(), labels, o);
  std::map<int32_t, int> held;
  for (auto i : p.held_out) ++held[labels[i]];
  CHECK(held[0] == 5);
  CHECK(held[1] == 10);
  CHECK(held[2] == 15);
  CHECK(held[3] == 20);
  std::set<size_t> all(p.main.begin(), p.main.end());
  for (auto i : p.held_out) CHECK(all.insert(i).second);
  CHECK(all.size() == labels.size());
  // Without --shuffle both parts stay in source order.
  CHECK(std::is_sorted(p.main.begin(), p.main.end()));
  CHECK(std::is_sorted(p.held_out.begin(), p.held_out.end()));
}

TEST_CASE("plan_order: a small class still gets one held-out sample") {
  std::vector<int32_t> labels = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
  ImportOptions o;
  o.split = 0.1;
  auto p = plan_order(labels.size(), labels, o);
  int ones = 0;
  for (auto i : p.held_out) ones += labels[i] == 1;
  CHECK(ones == 1);
}
