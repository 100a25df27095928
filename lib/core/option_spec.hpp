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
  bool required = false;
  bool repeatable = false;          // text options: given any number of times, read as a list
};

// An option and to whom it applies: `unless(facts)` says why it does not
// apply to a run ("" when it does; no function: every run), and the
// refusal reads "FLAG APPLIES_TO; WHY" ("--k goes with --mode knn; --mode
// is linear"), a usage error: an option is never parsed and then ignored.
template <class Facts>
struct OptionRule {
  OptionSpec spec;
  std::string applies_to;
  std::function<std::string(const Facts&)> unless;
};

// The rules' specs to register, each help ending with "[default X]" where
// the spec has a default of its own (not for files or flags).
template <class Facts>
std::vector<OptionSpec> specs_with_defaults(const std::vector<OptionRule<Facts>>& rules) {
  std::vector<OptionSpec> specs;
  for (const OptionRule<Facts>& r : rules) {
    OptionSpec s = r.spec;
    if (!s.fallback.is_null() && s.type != OptionSpec::Type::input && s.type != OptionSpec::Type::output &&
        s.type != OptionSpec::Type::flag)
      s.help += " [default " + (s.fallback.is_string() ? s.fallback.get<std::string>() : s.fallback.dump()) + "]";
    specs.push_back(std::move(s));
  }
  return specs;
}

// The value of `flag` into `into`, when the command line gave it (`given`
// by flag, as cli::OptionTable::given() returns it); else `into` keeps its default.
template <class T>
void take_given(const nlohmann::ordered_json& given, const char* flag, T& into) {
  if (given.contains(flag)) into = given[flag].get<T>();
}

// The usage error of the first option in `given` (by flag) that does not
// apply to the run `facts` describes; none when all do.
template <class Facts>
std::string inapplicable(const std::vector<OptionRule<Facts>>& rules, const nlohmann::ordered_json& given,
                         const Facts& facts) {
  for (const OptionRule<Facts>& r : rules) {
    if (!given.contains(r.spec.flag) || !r.unless) continue;
    // "-o,--output" is named as users write it most: "-o".
    if (const std::string why = r.unless(facts); !why.empty())
      return r.spec.flag.substr(0, r.spec.flag.find(',')) + " " + r.applies_to + "; " + why;
  }
  return "";
}

}  // namespace sslkit
