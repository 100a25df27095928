// ssl-pretrain's options and how a run's configuration is decided.
//
// One table, a row per option, drives the command line (cli/option_table),
// --help with each method's real defaults, what goes into /config, the
// --resume check and the refusal of an option that does not apply to the
// run (exit 2, naming the option and why). One pure function resolves the
// options given, the facts of the input file and the registry's defaults
// into the run's complete configuration: it trains nothing, so every
// default and every refusal has a unit test (pretrain_config_test.cpp).
// Defaults come, first to last: the user's choice, the modality's
// (train::Modality::pretrain_defaults), the method's (its registry row), the
// table's; a method of one modality only has its row before the modality's.
#pragma once
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "core/option_spec.hpp"
#include "methods/registry.hpp"
#include "train/modality.hpp"

namespace sslkit::io {
class DataReader;
}

namespace sslkit::train {

// What resolution needs to know of the input file (train/modality: PretrainFile), read once.
PretrainFile read_pretrain_file(const io::DataReader& in);

// What decides whether an option applies to a run.
struct RunFacts {
  const PretrainFile& file;
  const methods::MethodInfo& method;
  const nlohmann::ordered_json& config;  // resolved so far (rows above this one)
  const nlohmann::ordered_json& given;   // by flag
  bool given_option(const std::string& flag) const { return given.contains(flag); }
};

using PretrainRow = OptionRule<RunFacts>;

// The table: the tool's own rows, then each method's options (registry).
const std::vector<PretrainRow>& pretrain_options();
// The specs to register, each help ending with its real defaults:
// "[default 0.001; mae 0.00015 x batch/256; wav2vec 0.0005]".
std::vector<OptionSpec> pretrain_option_specs();

// A run decided: the training (stored as /config) and this run's own
// options (checkpoints, logs, monitors), each by flag with its default.
struct PretrainPlan {
  nlohmann::ordered_json config;
  nlohmann::ordered_json run;
};

// Options given (by flag: {"--lr": 0.01}), the file's facts and, when
// resuming, the checkpoint's config (named `resume` in messages) -> the run.
// With --init, the config of the model whose encoder the new run starts
// from (named `init_path`): its encoder's shape unless --arch is given,
// and /config "init" says where the run came from.
// UsageError for an option that does not apply, one that contradicts the
// checkpoint, or a method or encoder that does not train this file.
PretrainPlan resolve_pretrain(const nlohmann::ordered_json& given, const PretrainFile& file,
                              const nlohmann::ordered_json* resumed = nullptr, const std::string& resume = "",
                              const nlohmann::ordered_json* init = nullptr, const std::string& init_path = "");

// Epochs of a run given neither --epochs nor --time-budget.
constexpr int kDefaultEpochs = 10;

}  // namespace sslkit::train
