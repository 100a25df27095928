// The process group started without mpirun: one process, every call a no-op
// that leaves the data as one rank's sum, gather or broadcast would.
#include <doctest/doctest.h>

#include <vector>

#include "core/dist.hpp"
#include "core/error.hpp"

using namespace sslkit;

TEST_CASE("dist: without mpirun there is one process - rank 0 of 1 - and MPI stays uninitialised") {
  CHECK_FALSE(dist::active());
  CHECK(dist::rank() == 0);
  CHECK(dist::size() == 1);
  CHECK(dist::is_root());
}

TEST_CASE("dist: one process's collectives leave its own values") {
  dist::reset_comm_stats();
  std::vector<float> f = {1.5f, -2.f, 3.f};
  dist::allreduce_sum(f.data(), f.size());
  CHECK(f == std::vector<float>{1.5f, -2.f, 3.f});
  std::vector<double> d = {0.25, 7};
  dist::allreduce_sum(d.data(), d.size());
  CHECK(d == std::vector<double>{0.25, 7});
  std::vector<int64_t> i = {5, -1};
  dist::allreduce_sum(i.data(), i.size());
  CHECK(i == std::vector<int64_t>{5, -1});

  std::vector<float> gathered(3, 0.f);
  dist::allgather(f.data(), f.size(), gathered.data());
  CHECK(gathered == f);
  std::vector<float> scattered(3, 0.f);
  dist::reduce_scatter_sum(f.data(), scattered.data(), 3);
  CHECK(scattered == f);

  int value = 42;
  dist::broadcast(&value, sizeof value);
  CHECK(value == 42);
  dist::barrier();
  // Nothing went through MPI.
  CHECK(dist::comm_stats().calls == 0);
  CHECK(dist::comm_stats().bytes == 0);
}

TEST_CASE("dist: abort_job in one process is the tool's usual error - thrown - and runs no cleanup hook") {
  bool cleaned = false;
  dist::on_abort([&] { cleaned = true; });
  CHECK_THROWS_WITH_AS(dist::abort_job("data.h5: truncated"), "data.h5: truncated", Error);
  // The tool's own error path cleans up in one process.
  CHECK_FALSE(cleaned);
  dist::on_abort(nullptr);
}
