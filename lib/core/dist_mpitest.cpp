// The collectives across the ranks of a real job (run_mpi.sh: mpirun -np 2),
// against what one process computes from every rank's values. The values
// differ per rank (not symmetric), so a collective that returned this rank's
// own data, or another rank's, or put blocks out of order, would fail.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "core/dist.hpp"

using namespace sslkit;

namespace {
// Rank r's value i: distinct for every (r, i), exact in float.
float value(int r, size_t i) { return static_cast<float>(r * 100 + static_cast<int>(i) + 1); }
}  // namespace

TEST_CASE("dist mpi: launched by mpirun the job has several ranks") {
  REQUIRE(dist::active());
  CHECK(dist::size() >= 2);
  CHECK(dist::rank() < dist::size());
  CHECK(dist::is_root() == (dist::rank() == 0));
}

TEST_CASE("dist mpi: allreduce_sum gives every rank the sum over ranks") {
  const int k = dist::size(), me = dist::rank();
  std::vector<float> f(1000);
  std::vector<double> d(7);
  std::vector<int64_t> n(3);
  for (size_t i = 0; i < f.size(); ++i) f[i] = value(me, i);
  for (size_t i = 0; i < d.size(); ++i) d[i] = value(me, i) * 0.5;
  for (size_t i = 0; i < n.size(); ++i) n[i] = (int64_t{1} << 40) * (me + 1) + static_cast<int64_t>(i);
  dist::reset_comm_stats();
  dist::allreduce_sum(f.data(), f.size());
  dist::allreduce_sum(d.data(), d.size());
  dist::allreduce_sum(n.data(), n.size());
  for (size_t i = 0; i < f.size(); ++i) {
    float want = 0;
    for (int r = 0; r < k; ++r) want += value(r, i);
    REQUIRE(f[i] == want);
  }
  for (size_t i = 0; i < d.size(); ++i) {
    double want = 0;
    for (int r = 0; r < k; ++r) want += value(r, i) * 0.5;
    CHECK(d[i] == want);
  }
  for (size_t i = 0; i < n.size(); ++i) CHECK(n[i] == (int64_t{1} << 40) * (k * (k + 1) / 2) + k * int64_t(i));
  CHECK(dist::comm_stats().calls == 3);
  CHECK(dist::comm_stats().bytes == 1000 * 4 + 7 * 8 + 3 * 8);
}

TEST_CASE("dist mpi: allgather puts each rank's block in rank order") {
  const int k = dist::size(), me = dist::rank();
  const size_t n = 5;
  std::vector<float> mine(n), all(n * k, -1.f);
  for (size_t i = 0; i < n; ++i) mine[i] = value(me, i);
  dist::allgather(mine.data(), n, all.data());
  for (int r = 0; r < k; ++r)
    for (size_t i = 0; i < n; ++i) REQUIRE(all[r * n + i] == value(r, i));
}

TEST_CASE("dist mpi: reduce_scatter_sum gives each rank its block of the sum - allgather's backward") {
  const int k = dist::size(), me = dist::rank();
  const size_t n = 4;
  std::vector<float> grad(n * k), mine(n, -1.f);
  for (size_t j = 0; j < grad.size(); ++j) grad[j] = value(me, j);
  dist::reduce_scatter_sum(grad.data(), mine.data(), n);
  for (size_t i = 0; i < n; ++i) {
    float want = 0;
    for (int r = 0; r < k; ++r) want += value(r, me * n + i);
    REQUIRE(mine[i] == want);
  }
}

TEST_CASE("dist mpi: broadcast copies the root's bytes to every rank") {
  const int me = dist::rank();
  struct {
    double budget;
    int64_t step;
  } msg{me == 0 ? 12.5 : -1.0, me == 0 ? 77 : -1};
  dist::broadcast(&msg, sizeof msg);
  CHECK(msg.budget == 12.5);
  CHECK(msg.step == 77);
  // From another root.
  int last = dist::size() - 1;
  int v = me == last ? 9 : 0;
  dist::broadcast(&v, sizeof v, last);
  CHECK(v == 9);
  dist::barrier();
}
