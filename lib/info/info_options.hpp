// ssl-info's options: one table (a row per option: flag, type, range, help,
// what it goes with) registered by the tool, and one pure function that
// turns the options given and the inputs into the one job the run does,
// refusing an option that job would not use (exit 2, naming it and why).
// Only what needs the file's contents (a data file's --reference, a log
// piped in) is refused later, by the job itself.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/option_spec.hpp"
#include "info/describe.hpp"

namespace sslkit::info {

struct InfoFacts {
  const nlohmann::ordered_json& given;  // by flag
  size_t files = 1;                     // inputs given
  std::string log;                      // the one input, when it reads as a training log; else empty
  // Several files, or one log: training curves.
  bool curves() const { return files > 1 || !log.empty(); }
};
using InfoRow = OptionRule<InfoFacts>;

const std::vector<InfoRow>& info_options();
std::vector<OptionSpec> info_option_specs();

// What one ssl-info run does, and with what.
struct InfoRun {
  enum class Job { describe, curves, predict, reconstruct };
  Job job = Job::describe;
  std::vector<std::string> inputs;
  InfoOptions options;        // describe and curves (options.input: the first input)
  std::string sentence;       // predict: the sentence with [MASK]s
  int top = 5;                // predict: tokens listed per [MASK]
  std::string images;         // reconstruct: the image file
  int reconstruct_count = 8;  // reconstruct: images drawn
};

// Options given (by flag), the inputs, and whether the one input reads as
// a training log (is_training_log; stdin is sniffed later) -> the run;
// UsageError for an option the job does not use or a job without its
// output.
InfoRun resolve_info(const nlohmann::ordered_json& given, const std::vector<std::string>& inputs, bool log);

}  // namespace sslkit::info
