// ssl-finetune's options: one table (a row per option: flag, type, range,
// help, the mode it goes with) registered by the tool, and one pure
// function that turns the options given into the run's options, refusing
// an option the mode does not use (exit 2, naming it and why). What each
// modality takes as its defaults in --mode full is the modality's
// (train/modality: FinetunePlan).
#pragma once
#include <nlohmann/json.hpp>

#include <vector>

#include "core/option_spec.hpp"
#include "train/finetune_options.hpp"

namespace sslkit::train {

struct FinetuneFacts {
  std::string mode;                      // linear, knn or full
  const nlohmann::ordered_json& given;   // by flag
};
using FinetuneRow = OptionRule<FinetuneFacts>;

const std::vector<FinetuneRow>& finetune_options();
std::vector<OptionSpec> finetune_option_specs();

// Options given (by flag) -> what the run reads; UsageError for an option
// that does not apply or a pair that excludes each other.
FullFinetuneOptions resolve_finetune(const nlohmann::ordered_json& given);

}  // namespace sslkit::train
