// embedding: gathered rows, scatter-added gradients (repeated ids add up)
// and out-of-vocabulary ids reported as data errors.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"

using namespace sslkit;
using namespace sslkit::nn;

TEST_CASE("embedding gathers table rows by id") {
  init_engine();
  Tensor t = random_tensor({5, 3}, 1);
  std::vector<int32_t> ids{4, 0, 4, 2};
  NoGrad ng;
  Var y = embedding(Var(t), ids);
  REQUIRE(y.shape() == Shape{4, 3});
  for (size_t i = 0; i < ids.size(); ++i)
    for (int d = 0; d < 3; ++d) CHECK(y.value().f32()[i * 3 + d] == t.f32()[ids[i] * 3 + d]);
  CHECK(embedding(Var(t), {}).shape() == Shape{0, 3});
}

TEST_CASE("embedding gradient scatter-adds into the table rows") {
  init_engine();
  std::vector<int32_t> ids{2, 0, 2, 2, 3};
  Var table(random_tensor({5, 3}, 2), true);
  Tensor r = random_tensor({5, 3}, 3);
  embedding(table, ids).backward(r);
  std::vector<double> want(15, 0.0);
  for (size_t i = 0; i < ids.size(); ++i)
    for (int d = 0; d < 3; ++d) want[ids[i] * 3 + d] += r.f32()[i * 3 + d];
  auto g = table.grad().to_vector();
  for (int i = 0; i < 15; ++i) CHECK(g[i] == doctest::Approx(want[i]).epsilon(1e-6));
  // Row 1 and row 4 are never looked up.
  for (int d = 0; d < 3; ++d) CHECK(g[3 + d] == 0.f);

  auto rc = grad_check([&](const std::vector<Var>& v) { return embedding(v[0], ids); }, {random_tensor({5, 3}, 4)},
                       1e-2);
  INFO(rc.worst);
  CHECK(rc.max_error < 1e-4);
  MESSAGE("embedding max gradient-check error " << rc.max_error);
}

TEST_CASE("embedding ids outside the vocabulary are errors") {
  init_engine();
  Var t(random_tensor({4, 2}, 5));
  CHECK_THROWS_AS(embedding(t, {0, 4}), Error);
  CHECK_THROWS_AS(embedding(t, {-1}), Error);
  CHECK_NOTHROW(embedding(t, {3, 0}));
}
