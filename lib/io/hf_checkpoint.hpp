// A Hugging Face model directory as `save_pretrained` writes it, read for
// `ssl-import model`: config.json, preprocessor_config.json when there is
// one, and the weights in safetensors (one model.safetensors, or the shards
// model.safetensors.index.json lists). F32, F16 and BF16 tensors are handed
// out as f32. sslkit never unpickles: a directory holding only
// pytorch_model.bin is refused with the one-off conversion to run.
// TensorTaker hands the tensors to a family's name map and remembers which
// were taken, so that a key no map knows is an error naming it, never a
// weight silently dropped (a wrong map that "loads").
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/safetensors.hpp"

namespace sslkit::io {

struct HfCheckpoint {
  std::string dir;
  nlohmann::ordered_json config;        // config.json
  nlohmann::ordered_json preprocessor;  // preprocessor_config.json, or null
  SafetensorsContent tensors;           // every tensor of every shard
  // The file each of `tensors.tensors` came from ("DIR/model.safetensors",
  // or its shard), to blame in errors; and the file that lists the weights
  // (model.safetensors or the index), blamed for a missing key.
  std::vector<std::string> files;
  std::string weights;

  // "DIR/config.json", for errors about the config.
  std::string config_file() const;
};

// Reads and checks the directory; an Error naming the file at fault: no
// config.json, JSON that does not parse, no safetensors weights (a pickle
// is refused with how to convert it), a malformed safetensors file, an
// index naming a shard that is missing or outside the directory, a tensor
// in two shards, or a shard whose tensors disagree with the index.
HfCheckpoint read_hf_checkpoint(const std::string& dir);

// The pickle files a directory may hold instead of safetensors.
bool is_pickle_weights_name(const std::string& filename);

// config.json values, with an Error naming config.json and the key when it
// is missing (no fallback) or of the wrong type.
int64_t config_int(const HfCheckpoint& c, const std::string& key);
int64_t config_int(const HfCheckpoint& c, const std::string& key, int64_t fallback);
double config_real(const HfCheckpoint& c, const std::string& key);
double config_real(const HfCheckpoint& c, const std::string& key, double fallback);
std::string config_text(const HfCheckpoint& c, const std::string& key, const std::string& fallback);
bool config_flag(const HfCheckpoint& c, const std::string& key, bool fallback);

// Hands out a checkpoint's tensors by name and remembers which were taken.
class TensorTaker {
 public:
  // `prefix` is stripped from every key that has it ("bert.", "" for none):
  // BertForMaskedLM's "bert.encoder..." is taken as "encoder...", its
  // "cls.predictions..." as it is. `family` names the map in errors
  // ("vit-mae"). An Error when two keys become one name.
  TensorTaker(const HfCheckpoint& c, std::string prefix, std::string family = "");
  bool has(const std::string& name) const;
  // The full key of `name` as the file spells it (prefix included).
  std::string key(const std::string& name) const;
  // The stored shape; Error naming the key when it is missing.
  const std::vector<int64_t>& shape(const std::string& name) const;
  // How it is stored (F32, F16, BF16...), and the file holding it.
  StDType dtype(const std::string& name) const;
  const std::string& file(const std::string& name) const;
  // The values as f32; an Error naming the key when it is missing, its
  // shape differs, or it is not a floating-point tensor.
  std::vector<float> take(const std::string& name, const std::vector<int64_t>& shape);
  // Known and unused (a stale position_ids buffer, a fixed sin-cos table
  // the importer checked); nothing when the key is absent.
  void ignore(const std::string& name);
  // Error naming the first key (in file order) never taken or ignored.
  void finish() const;

 private:
  const SafeTensor& find(const std::string& name) const;
  const HfCheckpoint& c_;
  std::string prefix_, family_;
  std::map<std::string, size_t> index_;  // name (prefix stripped) -> position in c_.tensors
  std::vector<bool> used_;
};

// "[1, 197, 768]" for messages.
std::string shape_text(const std::vector<int64_t>& shape);

}  // namespace sslkit::io
