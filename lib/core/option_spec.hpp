// One command-line option as data: its flag, where its value goes in a
// run's /config, its type, the tool's default, its range and its help.
// Tools register their options from tables of these (cli/option_table);
// a run's resolver (train/pretrain_config) reads the values by flag and
// writes them under their keys, so an option is written once.
#pragma once
#include <nlohmann/json.hpp>

#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace sslkit {

struct OptionSpec {
  enum class Type { integer, real, text, flag, input, output };
  std::string flag;                 // "--lr"
  std::string key;                  // its /config key; empty: a run option, not stored with the model
  Type type = Type::real;
  nlohmann::ordered_json fallback;  // the tool's default (null: none, or computed: the help says how)
  std::string help;
  double min = -std::numeric_limits<double>::infinity();  // accepted range of numbers
  double max = std::numeric_limits<double>::infinity();
  bool open_min = false;            // the range excludes min (positive numbers: > 0)
  std::vector<std::string> choices;  // accepted values of a text option (empty: any)
  // Or a check of a text option's value: "" when it is good, else what is
  // wrong (CLI11 puts the option's name before it); `value_name` in --help.
  std::function<std::string(const std::string&)> check;
  std::string value_name;
  bool defines_training = false;    // must agree with --resume's checkpoint
  bool negatable = false;           // flags: --no-X turns it off
  std::string rewritten_by;         // inputs: the one output option that may replace it (--resume by -o)
  bool binary = true;               // outputs: false for text a terminal may show
};

}  // namespace sslkit
