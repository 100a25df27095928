#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "io/cpu_deadline.hpp"
#include "io/files.hpp"

using namespace sslkit::io;

namespace {

struct ChildResult {
  int exit_code = -1;
  std::string err;
};

// Runs fn in a child process (a deadline ends the process it fires in) and
// returns the child's exit code and what it wrote to stderr.
template <class Fn> ChildResult in_child(Fn fn) {
  int p[2];
  REQUIRE(pipe(p) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    dup2(p[1], STDERR_FILENO);
    fn();
    _exit(0);
  }
  close(p[1]);
  ChildResult r;
  char buf[512];
  for (ssize_t n; (n = read(p[0], buf, sizeof buf)) > 0;) r.err.append(buf, n);
  close(p[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// Burns this thread's CPU for about `seconds`.
void spin(double seconds) {
  timespec t0{}, t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
  volatile double x = 0;
  do {
    for (int i = 0; i < 10000; ++i) x = x + 1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  } while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) * 1e-9 < seconds);
}

}  // namespace

TEST_CASE("cpu deadline: a scope that spins past it ends the process with one line and exit 1 and removes temp files") {
  const std::string temp = make_temp("deadline");
  const ChildResult r = in_child([&] {
    CpuDeadline d("stuck.h5", 0.1);
    spin(5);
  });
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("stuck.h5: the HDF5 library spent 0.1 s of CPU") != std::string::npos);
  CHECK(r.err.find('\n') == r.err.size() - 1);  // one line
  CHECK_FALSE(std::filesystem::exists(temp));
  remove_temp(temp);
}

TEST_CASE("cpu deadline: a scope that ends in time disarms it and an inner scope does not re-arm") {
  const ChildResult r = in_child([] {
    {
      CpuDeadline outer("a.h5", 0.2);
      CpuDeadline inner("b.h5", 0.01);  // nested: the outer deadline holds
      spin(0.05);
    }
    spin(0.4);  // past both deadlines, outside their scopes
  });
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
}

TEST_CASE("cpu deadline: time spent waiting does not count") {
  const ChildResult r = in_child([] {
    CpuDeadline d("slow-disk.h5", 0.05);
    usleep(300 * 1000);
  });
  CHECK(r.exit_code == 0);
}

TEST_CASE("cpu deadline: zero or negative seconds arm none") {
  const ChildResult r = in_child([] {
    CpuDeadline d("x.h5", 0);
    spin(0.1);
  });
  CHECK(r.exit_code == 0);
}
