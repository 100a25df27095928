// What every ssl-* tool shares: the common options, the error style
// ("ssl-TOOL: error: FILE: what"), the exit codes (0 ok, 1 bad data or
// runtime failure, 2 usage) and a checked close of stdout. A tool's main
// only declares its options and calls its library function through run().
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <string>

namespace sslkit::cli {

enum ExitCode { kOk = 0, kFailure = 1, kUsage = 2 };

struct CommonOptions {
  std::string output;      // -o; "-" is stdout
  uint64_t seed = 0;
  int threads = 0;         // 0 = one per core
  bool quiet = false;
  bool progress = false;   // progress lines even when stderr is not a terminal
};

class Tool {
 public:
  Tool(std::string name, const std::string& description);
  CLI::App& app() { return app_; }
  const std::string& name() const { return name_; }
  CommonOptions& common() { return common_; }
  // Adds the shared options to `app` (the tool itself or one of its
  // subcommands). `output` says whether -o is taken; `output_required` makes it
  // mandatory.
  void add_common(CLI::App& app, bool output = true, bool output_required = true);
  // The command line as one string, for the output's /history.
  const std::string& command_line() const { return command_line_; }
  // Parses, applies --threads and --progress, runs `body` and maps what it
  // throws to a one-line error and an exit code.
  int run(int argc, char** argv, const std::function<void()>& body);

 private:
  std::string name_;
  CLI::App app_;
  CommonOptions common_;
  std::string command_line_;
};

// Prints "TOOL: error: MESSAGE" to stderr.
void print_error(const std::string& tool, const std::string& message);

std::string version_string();

}  // namespace sslkit::cli
