// The method registry: one row per method says everything the tools and
// the trainer need to know about it. The CLI's --method list and help, the
// default recipe, how batches are drawn, and the docs come from here.
// Adding a method: one file with its class and factory, one row below, its
// tests (docs/methods.md).
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "methods/method.hpp"

namespace sslkit::methods {

struct MethodInfo {
  const char* name;
  const char* modality;         // what it trains on: "image", "text", "audio", or several ("image audio")
  const char* summary;          // one line for --help and docs
  int views;                    // augmented views per image in a batch
  bool rotation;                // one rotated view per image, its index the target
  bool pretrain;                // offered by ssl-pretrain (supervised is not)
  const char* recipe;           // default augmentation recipe
  std::unique_ptr<Method> (*make)(const MethodParams&, Rng&);
  double mask_ratio = 0;        // patches hidden per image (MAE); 0: no patch masks
  // The method's own defaults where they differ from the tool's (each used
  // only when the user did not choose): nullptr / 0 keep ssl-pretrain's.
  const char* arch = nullptr;   // image encoder (mae: vit-mini; emp: convnet-m)
  int batch = 0;                // images a step
  int64_t hidden_dim = 0;       // projector widths (MethodParams' otherwise)
  int64_t proj_dim = 0;
  bool crops = false;           // takes --views crops of --view-size (emp); the others a fixed view count
};

const std::vector<MethodInfo>& method_registry();
// The row of `name`; a usage error naming the choices when there is none.
const MethodInfo& method_info(const std::string& name);
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
