// Errors every part of sslkit throws. A tool catches them once, in lib/cli,
// and prints "ssl-TOOL: error: SUBJECT: what" with the exit code they imply.
#pragma once
#include <stdexcept>
#include <string>

namespace sslkit {

// Bad data or a runtime failure (exit 1). `subject` names what is at fault,
// usually a file path; it may be empty.
class Error : public std::runtime_error {
 public:
  // what() is "subject: what", or just "what" when there is no subject.
  Error(std::string subject, const std::string& what)
      : std::runtime_error(subject.empty() ? what : subject + ": " + what), subject_(std::move(subject)) {}
  const std::string& subject() const { return subject_; }
  std::string message() const { return what(); }

 private:
  std::string subject_;
};

// The command line asks for something impossible (exit 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Interrupted by a signal; the tool exits with 128 + signal after cleanup.
class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(int sig, const std::string& what = "interrupted") : std::runtime_error(what), signal_(sig) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

// A broken invariant of sslkit itself (not bad input): exit 1 with the
// source file and line, so a report can point at it.
[[noreturn]] inline void internal_error(const char* file, int line, const std::string& what) {
  std::string f = file;
  const auto at = f.rfind("lib/");
  throw Error("", "internal error at " + (at == std::string::npos ? f : f.substr(at)) + ":" + std::to_string(line) +
                      ": " + what + " (please report this)");
}

}  // namespace sslkit

// Fails with an internal error naming this file and line.
#define SSLKIT_FAIL(what) ::sslkit::internal_error(__FILE__, __LINE__, (what))
// Fails with an internal error when `cond` does not hold.
#define SSLKIT_CHECK(cond, what)           \
  do {                                      \
    if (!(cond)) SSLKIT_FAIL(what);         \
  } while (0)
