#include <doctest/doctest.h>

#include <sys/resource.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "io/log_file.hpp"
#include "io/test_util.hpp"

using namespace sslkit;
using namespace sslkit::io;
using sslkit::testing::ScratchDir;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

int files_in(const std::filesystem::path& dir) {
  int n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

// A file size limit for the scope: writes past it fail with EFBIG (SIGXFSZ
// ignored), cut in the middle like a disk that fills up.
struct FileSizeLimit {
  rlimit old{};
  void (*old_handler)(int);
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &old);
    old_handler = signal(SIGXFSZ, SIG_IGN);
    rlimit lim = old;
    lim.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lim);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
  }
};

}  // namespace

TEST_CASE("log file: replace keeps the old log until the first line and then holds only the new lines") {
  ScratchDir dir;
  const std::string path = dir / "run.jsonl";
  std::ofstream(path) << "{\"old\": 1}\n";
  {
    LogFile log(path, LogStart::replace);
    CHECK(read_all(path) == "{\"old\": 1}\n");  // nothing written yet: the old log stays
  }
  CHECK(read_all(path) == "{\"old\": 1}\n");
  CHECK(files_in(dir.path) == 1);  // the unused temp file is gone
  {
    LogFile log(path, LogStart::replace);
    log.line("{\"step\": 0}");
    CHECK(read_all(path) == "{\"step\": 0}\n");  // readable while the run goes
    log.line("{\"step\": 1}");
  }
  CHECK(read_all(path) == "{\"step\": 0}\n{\"step\": 1}\n");
  CHECK(files_in(dir.path) == 1);
}

TEST_CASE("log file: append continues after the lines already there and creates a missing log") {
  ScratchDir dir;
  const std::string path = dir / "run.jsonl";
  {
    LogFile log(path, LogStart::append);
    log.line("a");
  }
  {
    LogFile log(path, LogStart::append);
    log.line("b");
  }
  CHECK(read_all(path) == "a\nb\n");
}

TEST_CASE("log file: a write cut short is taken back and named in the error") {
  ScratchDir dir;
  const std::string path = dir / "run.jsonl";
  std::ofstream(path) << "whole\n";
  LogFile log(path, LogStart::append);
  std::string what;
  {
    FileSizeLimit limit(16);  // "whole\n" and 10 bytes more
    try {
      log.line("a line longer than ten bytes");
    } catch (const Error& e) {
      what = e.message();
    }
  }
  CHECK(what.find("run.jsonl: write failed: File too large") != std::string::npos);
  CHECK(read_all(path) == "whole\n");
  log.line("next");  // the file is usable again after the failure
  CHECK(read_all(path) == "whole\nnext\n");
}
