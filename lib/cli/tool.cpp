#include "cli/tool.hpp"

#include <hdf5.h>
#include <opencv2/core.hpp>

#include <cstdio>
#include <iostream>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "core/threads.hpp"
#include "io/files.hpp"

namespace sslkit::cli {


std::string version_string() {
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  return std::string("sslkit ") + SSLKIT_VERSION + " (HDF5 " + std::to_string(maj) + "." + std::to_string(min) +
         "." + std::to_string(rel) + ", OpenCV " + CV_VERSION + ")";
}

void print_error(const std::string& tool, const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: error: %s\n", tool.c_str(), message.c_str());
}


static std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+%@") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Tool::Tool(std::string name, const std::string& description) : name_(std::move(name)), app_(description, name_) {
  app_.set_version_flag("--version", version_string());
  app_.option_defaults()->always_capture_default();
  app_.failure_message([this](const CLI::App*, const CLI::Error& e) {
    return name_ + ": error: " + e.what() + "\nTry '" + name_ + " --help' for more information.\n";
  });
}

void Tool::add_common(CLI::App& app, bool output, bool output_required) {
  if (output) {
    auto* o = app.add_option("-o,--output", common_.output, "Output file ('-' for stdout)");
    if (output_required) o->required();
  }
  app.add_option("--seed", common_.seed, "Seed for every random choice")->capture_default_str();
  app.add_option("--threads", common_.threads, "Worker threads (0 = one per core)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app.add_flag("-q,--quiet", common_.quiet, "No progress and no warnings");
  app.add_flag("--progress", common_.progress, "Progress lines even when stderr is not a terminal");
}

int Tool::run(int argc, char** argv, const std::function<void()>& body) {
  // argv[0] may be a path (./build/ssl-import); history records the tool name.
  command_line_ = name_;
  for (int i = 1; i < argc; ++i) command_line_ += " " + shell_quote(argv[i]);
  try {
    app_.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app_.exit(e);
    return rc == 0 ? kOk : kUsage;
  }
  set_log_identity(name_, common_.quiet);
  Progress::configure(common_.quiet, common_.progress);
  set_thread_count(common_.threads);
  io::install_cleanup_handlers();
  int rc = kOk;
  try {
    body();
  } catch (const UsageError& e) {
    print_error(name_, e.what());
    std::fprintf(stderr, "Try '%s --help' for more information.\n", name_.c_str());
    rc = kUsage;
  } catch (const Error& e) {
    print_error(name_, e.message());
    rc = kFailure;
  } catch (const std::bad_alloc&) {
    print_error(name_, "out of memory");
    rc = kFailure;
  } catch (const cv::Exception& e) {
    print_error(name_, "OpenCV: " + e.msg);
    rc = kFailure;
  } catch (const std::exception& e) {
    print_error(name_, e.what());
    rc = kFailure;
  }
  // Delayed write errors (a full disk, a closed pipe) surface only here.
  if (std::fflush(stdout) != 0 || std::fclose(stdout) != 0) {
    if (rc == kOk) print_error(name_, "closing standard output failed");
    if (rc == kOk) rc = kFailure;
  }
  return rc;
}

}  // namespace sslkit::cli
