// What every ssl-* tool shares: the common options, the error style
// ("ssl-TOOL: error: FILE: what"), the exit codes (0 ok, 1 bad data or
// runtime failure, 2 usage) and a checked close of stdout. A tool's main
// only declares its options and calls its library function through run().
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

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
  // The files a run reads and writes, declared with their options so that
  // the one output check (io::check_run_files) knows every one of them: no
  // output names an input or another output, two outputs never share stdout,
  // binary data never goes to a terminal. --help shows an input as FILE and
  // an output as OUTPUT (tests/cli/test_inputs_as_outputs.sh reads that to
  // try every input as every output). `name` is a positional name ("input")
  // or "--option"; `rewritten_by` names the one output option allowed to
  // replace this input (--resume m.h5 -o m.h5 continues a run in place).
  CLI::Option* add_input(CLI::App& app, const std::string& name, std::string& path, const std::string& help,
                         const std::string& rewritten_by = "");
  CLI::Option* add_inputs(CLI::App& app, const std::string& name, std::vector<std::string>& paths,
                          const std::string& help);
  CLI::Option* add_output(CLI::App& app, const std::string& name, std::string& path, const std::string& help,
                          bool binary = true);
  // The command line as one string, for the output's /history.
  const std::string& command_line() const { return command_line_; }
  // The long names ("--lr") of the options given on the command line, for
  // defaults that depend on what the user chose (and --resume's checks).
  std::set<std::string> given_options() const;
  // Parses, applies --threads and --progress, runs `body` and maps what it
  // throws to a one-line error and an exit code.
  int run(int argc, char** argv, const std::function<void()>& body);

 private:
  std::string name_;
  CLI::App app_;
  CommonOptions common_;
  std::string command_line_;
  struct Input {
    std::string option;
    const std::string* path;                     // one file, or
    const std::vector<std::string>* paths;       // several
    std::string rewritten_by;
  };
  std::vector<Input> inputs_;
  struct Output {
    std::string option;
    const std::string* path;
    bool binary;
  };
  std::vector<Output> outputs_;
};

// Validators for numeric options that reject NaN and infinities as well
// (CLI11's PositiveNumber lets NaN through): > 0, and >= 0.
CLI::Validator positive();
CLI::Validator non_negative();

// Prints "TOOL: error: MESSAGE" to stderr.
void print_error(const std::string& tool, const std::string& message);

// "ssl-import (sslkit) 0.1.0" and the versions of the libraries it runs on.
std::string version_string(const std::string& tool);

}  // namespace sslkit::cli
