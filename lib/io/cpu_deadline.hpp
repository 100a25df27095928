// A bound on the CPU a thread may spend inside a library call that hostile
// input can send into an endless loop. libhdf5 1.10 loops forever on some
// corrupt files (a global heap object of size 0 makes H5HG_read step in
// place: found by tests/fuzz/fuzz_data_file); such a loop never returns and
// cannot be unwound, so the one clean way out is to end the process: the
// temp files registered for removal are removed, one line goes to stderr
// ("ssl-info: x.h5: ..."), and the exit status is 1.
//
// The clock is the calling thread's CPU time, so waiting on a slow disk or
// a pipe never counts, nor do the other threads' training steps.
#pragma once

#include <time.h>

#include <string>

namespace sslkit::io {

// Seconds of CPU one HDF5 read may take: SSLKIT_HDF5_CPU_LIMIT, default 30;
// 0 turns the deadline off. The largest legitimate read measured, 1 GiB of
// floats in 64 MiB deflated, shuffled, checksummed chunks in one H5Dread,
// took 1.7 s of CPU (AMD EPYC, 2026-12-06).
double cpu_limit_seconds();

class CpuDeadline {
 public:
  // Arms a deadline of `seconds` of this thread's CPU unless a deadline is
  // already open on this thread (the outermost scope names the file);
  // seconds <= 0 arms none.
  explicit CpuDeadline(const std::string& subject, double seconds = cpu_limit_seconds());
  ~CpuDeadline();
  CpuDeadline(const CpuDeadline&) = delete;
  CpuDeadline& operator=(const CpuDeadline&) = delete;

 private:
  timer_t timer_{};
  bool armed_ = false;
  std::string line_;  // the whole message, written by the signal handler
};

}  // namespace sslkit::io
