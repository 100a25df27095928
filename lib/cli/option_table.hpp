// Registers a table of options (core/option_spec) with a tool: each row
// becomes one CLI11 option with its type, range or choices and help; files
// are declared as the tool's inputs and outputs. After parsing, given()
// holds what the command line set, by flag ({"--lr": 0.01}), for a
// resolver to read: no option has a variable of its own.
#pragma once
#include <nlohmann/json.hpp>

#include <list>
#include <string>
#include <vector>

#include "cli/tool.hpp"
#include "core/option_spec.hpp"

namespace sslkit::cli {

class OptionTable {
 public:
  OptionTable(Tool& tool, CLI::App& app, std::vector<OptionSpec> specs);
  // The options given on the command line, by flag, in the table's order.
  nlohmann::ordered_json given() const;

 private:
  struct Slot {
    OptionSpec spec;
    CLI::Option* option = nullptr;
    int64_t integer = 0;
    double real = 0;
    std::string text;
    std::vector<std::string> texts;  // a repeatable text option's values
    bool flag = false;
  };
  std::list<Slot> slots_;  // a list: CLI11 and the tool keep pointers into each slot
};

}  // namespace sslkit::cli
