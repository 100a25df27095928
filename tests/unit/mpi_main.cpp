// The unit tests that need several ranks (lib/*/*_mpitest.cpp), started by
// tests/unit/run_mpi.sh under mpirun. Every rank runs every case (they are
// collectives); rank 0 reports in full, the others only their failures, and
// every rank exits non-zero when any rank failed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>

#include "core/dist.hpp"

int main(int argc, char** argv) {
  sslkit::dist::init(argc, argv);
  doctest::Context context(argc, argv);
  if (!sslkit::dist::is_root()) context.setOption("minimal", true);
  int64_t failed = context.run() != 0 ? 1 : 0;
  if (context.shouldExit()) return static_cast<int>(failed);
  sslkit::dist::allreduce_sum(&failed, 1);
  if (sslkit::dist::is_root())
    std::printf("mpi_unit_tests: %d ranks, %lld of them failed\n", sslkit::dist::size(),
                static_cast<long long>(failed));
  return failed != 0 ? 1 : 0;
}
