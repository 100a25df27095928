#include "io/cpu_deadline.hpp"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "io/files.hpp"

namespace sslkit::io {

namespace {

thread_local int t_depth = 0;

extern "C" void on_cpu_deadline(int sig, siginfo_t* info, void*) {
  // Only our timers end the process here; a SIGXCPU from `ulimit -t` keeps
  // its default meaning.
  if (info == nullptr || info->si_code != SI_TIMER || info->si_value.sival_ptr == nullptr) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  remove_temps_now();
  const char* line = static_cast<const char*>(info->si_value.sival_ptr);
  ssize_t ignored = write(STDERR_FILENO, line, std::strlen(line));
  (void)ignored;
  _exit(1);
}

void install_handler_once() {
  static const bool installed = [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_cpu_deadline;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGXCPU, &sa, nullptr);
    return true;
  }();
  (void)installed;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

}  // namespace

double cpu_limit_seconds() {
  static const double limit = [] {
    const char* v = std::getenv("SSLKIT_HDF5_CPU_LIMIT");
    if (v == nullptr || *v == '\0') return 30.0;
    char* end = nullptr;
    const double s = std::strtod(v, &end);
    if (end == v || *end != '\0' || !(s >= 0) || !std::isfinite(s)) return 30.0;
    return s;
  }();
  return limit;
}

CpuDeadline::CpuDeadline(const std::string& subject, double limit) {
  if (t_depth++ > 0) return;
  if (!(limit > 0)) return;
  line_ = std::string(program_invocation_short_name) + ": " + subject + ": the HDF5 library spent " +
          seconds_text(limit) +
          " s of CPU on one read without an answer: a corrupt file (raise SSLKIT_HDF5_CPU_LIMIT if it is not)\n";
  install_handler_once();
  struct sigevent ev {};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGXCPU;
  ev.sigev_value.sival_ptr = line_.data();
  if (timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &timer_) != 0) return;  // no timer: no bound, as before
  struct itimerspec when {};
  when.it_value.tv_sec = static_cast<time_t>(limit);
  when.it_value.tv_nsec = static_cast<long>((limit - std::floor(limit)) * 1e9);
  if (timer_settime(timer_, 0, &when, nullptr) != 0) {
    timer_delete(timer_);
    return;
  }
  armed_ = true;
}

CpuDeadline::~CpuDeadline() {
  --t_depth;
  if (armed_) timer_delete(timer_);
}

}  // namespace sslkit::io
