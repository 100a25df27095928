// The method registry: one row per method says everything the tools and
// the trainer need to know about it. The CLI's --method list and help, the
// default recipe, how batches are drawn, and the docs come from here.
// Adding a method: one file with its class and factory, one row below, its
// tests (docs/methods.md).
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/option_spec.hpp"
#include "methods/method.hpp"

namespace sslkit::methods {

// A method's or a modality's own defaults: each field that is set replaces
// the tool's default when the user did not choose (train/pretrain_config
// resolves them: the user's choice, then the modality's, then the method's,
// then the tool's option table; a method of one modality has its own before
// the modality's). Written with designated initializers.
struct RunDefaults {
  std::optional<std::string> method;   // modalities only: what a file of it trains with
  std::optional<std::string> arch;     // encoder preset
  std::optional<int64_t> batch;        // samples a step
  std::optional<double> lr;            // peak learning rate
  std::optional<double> lr_per_256;    // or this x batch / 256 (MAE's rule)
  std::optional<double> weight_decay;
  std::optional<double> adam_beta2;    // AdamW's second beta
  std::optional<double> warmup;        // fraction of training
  std::optional<std::string> recipe;   // augmentation recipe
  std::optional<int64_t> views;        // crops per image (methods that take --views)
  std::optional<int64_t> global_views;  // full-size views beside the crops (multi-crop)
  std::optional<std::string> global_recipe;  // their augmentation recipe
  std::optional<double> temperature;   // of a contrastive loss (--temperature)
};
// The set fields under their /config keys ("arch", "lr_per_256", ...).
nlohmann::ordered_json to_json(const RunDefaults& d);

struct MethodInfo {
  const char* name;
  const char* modality;         // what it trains on: "image", "text", "audio", or several ("image audio")
  const char* summary;          // one line for --help and docs
  int views;                    // augmented views per image in a batch
  bool rotation;                // one rotated view per image, its index the target
  bool pretrain;                // offered by ssl-pretrain (supervised is not)
  std::unique_ptr<Method> (*make)(const MethodParams&, Rng&);
  RunDefaults defaults;         // the method's own choices (encoder, batch, lr, recipe...)
  double mask_ratio = 0;        // patches hidden per image (MAE); 0: no patch masks
  int64_t hidden_per_feature = 0;  // projector widths as multiples of the encoder's
  int64_t proj_per_feature = 0;    // features (size_projector); 0 keeps MethodParams'
  bool crops = false;           // takes --views crops of --view-size (emp); the others a fixed view count
  bool plain_tokens = false;    // text: batches of the tokens as they are, no MLM masks (simcse)
  // Hyperparameters of its own, offered by ssl-pretrain and refused for the
  // methods that do not declare them; their values reach the method as
  // MethodParams (the fields it has, or `own` under the option's key).
  std::vector<OptionSpec> options;
};

const std::vector<MethodInfo>& method_registry();
// The row of `name`; a usage error naming the choices when there is none.
const MethodInfo& method_info(const std::string& name);
// A new run's projector widths from the row's multiples of the feature width
// of the encoder `p` names, so a wider encoder gets a wider projector
// (nothing when the row has none). Only for a new run: the widths then go to
// /config, and a model file is rebuilt from the widths stored there.
void size_projector(const MethodInfo& m, MethodParams& p);
// True when `m` trains on files of that modality ("image", "text", "audio").
bool trains_on(const MethodInfo& m, const std::string& modality);
// What it trains on, for messages: "image", "image or audio".
std::string modality_list(const MethodInfo& m);
// Names of the methods ssl-pretrain offers, in registry order.
std::vector<std::string> pretrain_method_names();
// "simclr, moco, ..." for help texts.
std::string pretrain_method_list();

// A method's hyperparameters in the model file's /config JSON, written and
// read in this one place (keys at the top level; a key an older file lacks
// keeps its default). The encoder's whole shape is "encoder"
// (docs/format.md); a file without one (release 0.1.0) gets its "arch"
// preset's. `file` names the model file in errors.
void write_params(const MethodParams& p, nlohmann::ordered_json& config);
MethodParams read_params(const nlohmann::ordered_json& config, const std::string& file = "");

}  // namespace sslkit::methods
