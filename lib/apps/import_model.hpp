// `ssl-import model DIR -o m.h5`: a Hugging Face model directory (config.json
// and safetensors, io/hf_checkpoint.hpp) as an sslkit model file that every
// tool taking --model uses, and ssl-pretrain --resume continues.
// One row per family: its name, whether a config.json is that family
// (model_type / architectures), what sslkit model it becomes (method,
// encoder shape and /config from config.json) and its name map. The common
// step builds that model, lets the map fill every parameter by its sslkit
// name (each filled once, each key of the checkpoint taken once: anything
// left over on either side is an error naming it), and writes the model
// file as ssl-pretrain does. A family is one file (import_hf_*.cpp) and a
// row in model_families().
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "apps/hf_names.hpp"
#include "io/hf_checkpoint.hpp"
#include "methods/method.hpp"

namespace sslkit::train {

// What a family makes of a checkpoint before any weight is read.
struct ImportPlan {
  std::string method;            // the registry's method the model file is: "mae", "mlm", "wav2vec", "simclr"...
  methods::MethodParams params;  // its hyperparameters; params.encoder the shape config.json gives
  // Further /config keys: what the data must match (image "input_shape" and
  // "normalize", text "max_len", audio "sample_rate"...).
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  std::vector<uint8_t> tokenizer;  // text: /tokenizer
  std::string prefix;              // stripped from the checkpoint's keys (io::TensorTaker)
};

// Fills an sslkit model's parameters (and buffers, which may keep their
// initial values) by their sslkit names.
class ParameterFiller {
 public:
  // `checkpoint` names the weights file in errors.
  ParameterFiller(nn::Module& model, std::string checkpoint);
  bool has(const std::string& ours) const;
  // The sslkit shape of `ours`; an internal error when there is no such tensor.
  const std::vector<int64_t>& shape(const std::string& ours) const;
  // ours <- the checkpoint's `theirs`, which must have our shape.
  void take(io::TensorTaker& t, const std::string& ours, const std::string& theirs);
  // ours <- `theirs` stored as `their_shape` (the same values in the same
  // order: a class token [1,1,D] for our [1,D]).
  void take_as(io::TensorTaker& t, const std::string& ours, const std::string& theirs,
               const std::vector<int64_t>& their_shape);
  // ".weight" and ".bias" of a linear or norm layer.
  void layer(io::TensorTaker& t, const std::string& ours, const std::string& theirs);
  // A transformer block: ours "encoder.block3", theirs "encoder.layer.3"
  // under the library's names `n` (q, k and v must be separate).
  void block(io::TensorTaker& t, const std::string& ours, const std::string& theirs, const BlockNames& n);
  // Values computed by the family (a folded weight norm, zero biases).
  void set(const std::string& ours, const std::vector<float>& values);
  // Parameters whose names begin with `prefix` keep the values the model
  // was built with: parts sslkit adds that the checkpoint has no weights
  // for (the decoder a new MAE run would start from).
  void keep_initial(const std::string& prefix);
  // An Error naming the first parameter of the model never filled (a map
  // that forgot a name would otherwise leave it random).
  void finish() const;

 private:
  nn::Tensor& slot(const std::string& ours) const;
  std::string checkpoint_;
  std::map<std::string, nn::Tensor*> params_, buffers_;
  std::vector<std::string> order_;  // parameter names in the model's order
  std::map<std::string, bool> filled_;
};

struct ModelFamily {
  const char* name;     // "vit-mae"
  const char* classes;  // what it reads, for help and docs: "ViTMAEForPreTraining, ViTMAEModel"
  // Whether config.json is this family's (its model_type or architectures).
  bool (*matches)(const nlohmann::ordered_json& config);
  ImportPlan (*plan)(const io::HfCheckpoint& c);
  // Fills every parameter through `f` from the keys `t` hands out.
  void (*fill)(const io::HfCheckpoint& c, const ImportPlan& plan, io::TensorTaker& t, ParameterFiller& f);
};

// The families, one file each.
ModelFamily vit_mae_family();   // import_hf_vit.cpp
ModelFamily vit_family();       // import_hf_vit.cpp
ModelFamily bert_family();      // import_hf_bert.cpp
ModelFamily wav2vec2_family();  // import_hf_w2v.cpp

const std::vector<ModelFamily>& model_families();
// The family of `c`'s config.json; an Error naming config.json, its
// model_type and the families sslkit imports when none matches.
const ModelFamily& family_of(const io::HfCheckpoint& c);

// config.json's "architectures" holds `name`, or its "model_type" is `type`.
bool has_architecture(const nlohmann::ordered_json& config, const std::string& name);
bool has_model_type(const nlohmann::ordered_json& config, const std::string& type);

// The --arch text of a shape: its kind's first preset with the keys that
// differ ("vit-mini:width=24,depth=2,heads=3,mlp=40,eps=1e-12"), or the bare
// preset name when the keys cannot say it (the shape is in /config anyway).
std::string arch_of(const models::EncoderShape& s);

struct ModelImportOptions {
  std::string dir;           // the Hugging Face directory
  std::string output;        // the model file
  std::string command_line;  // for /history
};

// Reads, maps and writes; an Error naming the file and key at fault, and
// nothing written.
void run_import_model(const ModelImportOptions& o);

// The model of `plan` with every parameter filled from `c` (the common
// step; tests compare its forward with the reference outputs). `config`
// receives the model file's /config.
std::unique_ptr<methods::Method> import_method(const io::HfCheckpoint& c, const ModelFamily& family,
                                               nlohmann::ordered_json* config = nullptr);

}  // namespace sslkit::train
