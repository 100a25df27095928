#include "cli/option_table.hpp"

#include <cmath>

namespace sslkit::cli {

namespace {

// Finite numbers in the row's range (CLI11's checks let NaN through).
CLI::Validator range_check(const OptionSpec& s) {
  const bool lower = std::isfinite(s.min), upper = std::isfinite(s.max);
  std::string what = "NUMBER";
  auto num = [](double v) {
    std::string t = std::to_string(v);
    t.erase(t.find_last_not_of('0') + 1);
    if (!t.empty() && t.back() == '.') t.pop_back();
    return t;
  };
  if (lower && upper)
    what += " in " + std::string(s.open_min ? "(" : "[") + num(s.min) + ", " + num(s.max) + "]";
  else if (lower)
    what += std::string(s.open_min ? " > " : " >= ") + num(s.min);
  return CLI::Validator(
      [s, what](std::string& in) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(in, v) || !std::isfinite(v) || v < s.min || v > s.max ||
            (s.open_min && v == s.min))
          return "must be a finite " + what + ", not " + in;
        return "";
      },
      what);
}

}  // namespace

OptionTable::OptionTable(Tool& tool, CLI::App& app, std::vector<OptionSpec> specs) {
  for (OptionSpec& spec : specs) {
    Slot& slot = slots_.emplace_back();
    slot.spec = std::move(spec);
    const OptionSpec& s = slot.spec;
    switch (s.type) {
      case OptionSpec::Type::integer:
        slot.option = app.add_option(s.flag, slot.integer, s.help);
        if (std::isfinite(s.min) && std::isfinite(s.max))
          slot.option->check(CLI::Range(static_cast<int64_t>(s.min), static_cast<int64_t>(s.max)));
        else if (std::isfinite(s.min))
          slot.option->check(CLI::Range(static_cast<int64_t>(s.min), INT64_MAX)
                                 .description("INT >= " + std::to_string(static_cast<int64_t>(s.min))));
        break;
      case OptionSpec::Type::real:
        slot.option = app.add_option(s.flag, slot.real, s.help)->check(range_check(s));
        break;
      case OptionSpec::Type::text:
        slot.option = s.repeatable ? app.add_option(s.flag, slot.texts, s.help)->allow_extra_args(false)
                                   : app.add_option(s.flag, slot.text, s.help);
        if (!s.choices.empty()) slot.option->check(CLI::IsMember(s.choices));
        if (s.check) {
          auto check = s.check;
          slot.option->check(CLI::Validator([check](std::string& in) { return check(in); }, s.value_name));
        }
        break;
      case OptionSpec::Type::flag:
        slot.option = app.add_flag(s.negatable ? s.flag + ",!--no-" + s.flag.substr(2) : s.flag, slot.flag, s.help);
        break;
      case OptionSpec::Type::input:
        slot.option = tool.add_input(app, s.flag, slot.text, s.help, s.rewritten_by);
        break;
      case OptionSpec::Type::output:
        slot.option = tool.add_output(app, s.flag, slot.text, s.help, s.binary);
        break;
    }
    if (s.required) slot.option->required();
    // The help says each default, where a method or a modality has its own
    // too; CLI11's captured "=0" of an unset variable would mislead.
    slot.option->default_str("");
  }
}

nlohmann::ordered_json OptionTable::given() const {
  nlohmann::ordered_json g = nlohmann::ordered_json::object();
  for (const Slot& slot : slots_) {
    if (slot.option->count() == 0) continue;
    switch (slot.spec.type) {
      case OptionSpec::Type::integer: g[slot.spec.flag] = slot.integer; break;
      case OptionSpec::Type::real: g[slot.spec.flag] = slot.real; break;
      case OptionSpec::Type::flag: g[slot.spec.flag] = slot.flag; break;
      case OptionSpec::Type::text:
        if (slot.spec.repeatable) g[slot.spec.flag] = slot.texts;
        else g[slot.spec.flag] = slot.text;
        break;
      default: g[slot.spec.flag] = slot.text; break;
    }
  }
  return g;
}

}  // namespace sslkit::cli
