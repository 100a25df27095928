#include "io/hf_checkpoint.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"

namespace sslkit::io {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

ordered_json read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, "cannot open");
  std::stringstream text;
  text << in.rdbuf();
  try {
    ordered_json j = ordered_json::parse(text.str());
    if (!j.is_object()) throw Error(path, "is not a JSON object");
    return j;
  } catch (const ordered_json::exception& e) {
    throw Error(path, std::string("is not valid JSON: ") + e.what());
  }
}

// A shard named by the index: a plain file name in the directory, so an
// index cannot make us read /etc/passwd or ../other/model.
bool plain_name(const std::string& name) {
  return !name.empty() && name.find('/') == std::string::npos && name != "." && name != "..";
}

void read_sharded(HfCheckpoint& c, const std::string& index_path) {
  const ordered_json index = read_json(index_path);
  if (!index.contains("weight_map") || !index["weight_map"].is_object())
    throw Error(index_path, "has no \"weight_map\" object (tensor name -> shard file)");
  std::vector<std::string> shards;  // in the order the index first names them
  std::map<std::string, std::string> shard_of;
  for (const auto& [name, file] : index["weight_map"].items()) {
    if (!file.is_string() || !plain_name(file.get<std::string>()))
      throw Error(index_path, "weight_map[\"" + name + "\"] is not a file name in the directory: " + file.dump());
    const std::string f = file.get<std::string>();
    if (std::find(shards.begin(), shards.end(), f) == shards.end()) shards.push_back(f);
    shard_of[name] = f;
  }
  std::set<std::string> seen;
  for (const std::string& shard : shards) {
    const std::string path = join(c.dir, shard);
    if (!fs::is_regular_file(path)) throw Error(index_path, "names the shard " + shard + ", which is missing");
    SafetensorsContent part = read_safetensors(path);
    for (SafeTensor& t : part.tensors) {
      const auto it = shard_of.find(t.name);
      if (it == shard_of.end())
        throw Error(path, "holds '" + t.name + "', which " + index_path + " does not list");
      if (it->second != shard)
        throw Error(path, "holds '" + t.name + "', which " + index_path + " places in " + it->second);
      if (!seen.insert(t.name).second) throw Error(path, "holds '" + t.name + "' a second time");
      c.files.push_back(path);
      c.tensors.tensors.push_back(std::move(t));
    }
    for (const auto& [k, v] : part.metadata) c.tensors.metadata.emplace(k, v);
  }
  for (const auto& [name, shard] : shard_of)
    if (!seen.count(name)) throw Error(index_path, "lists '" + name + "' in " + shard + ", which does not hold it");
}

const ordered_json& config_value(const HfCheckpoint& c, const std::string& key) {
  if (!c.config.contains(key)) throw Error(c.config_file(), "has no \"" + key + "\"");
  return c.config[key];
}

}  // namespace

std::string HfCheckpoint::config_file() const { return join(dir, "config.json"); }

bool is_pickle_weights_name(const std::string& f) {
  return f == "pytorch_model.bin" || f == "pytorch_model.bin.index.json" ||
         (f.rfind("pytorch_model-", 0) == 0 && f.size() > 4 && f.substr(f.size() - 4) == ".bin");
}

HfCheckpoint read_hf_checkpoint(const std::string& dir) {
  HfCheckpoint c;
  c.dir = dir;
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw Error(dir, "does not exist");
  if (!fs::is_directory(dir, ec))
    throw Error(dir, "is not a directory (give the Hugging Face model directory: config.json and model.safetensors)");
  const std::string config = join(dir, "config.json");
  if (!fs::is_regular_file(config, ec))
    throw Error(dir, "has no config.json (not a Hugging Face model directory from save_pretrained)");
  c.config = read_json(config);
  const std::string pre = join(dir, "preprocessor_config.json");
  if (fs::is_regular_file(pre, ec)) c.preprocessor = read_json(pre);

  const std::string single = join(dir, "model.safetensors"), index = join(dir, "model.safetensors.index.json");
  if (fs::is_regular_file(single, ec)) {
    c.weights = single;
    c.tensors = read_safetensors(single);
    c.files.assign(c.tensors.tensors.size(), single);
  } else if (fs::is_regular_file(index, ec)) {
    c.weights = index;
    read_sharded(c, index);
  } else {
    for (const char* p : {"pytorch_model.bin", "pytorch_model.bin.index.json"})
      if (fs::is_regular_file(join(dir, p), ec))
        throw Error(join(dir, p),
                    "is a pickle, which sslkit never loads (it can run code); convert it once with Python: "
                    "import torch, safetensors.torch as st; st.save_file({k: v.contiguous().clone() for k, v in "
                    "torch.load('pytorch_model.bin', weights_only=True).items()}, 'model.safetensors', "
                    "metadata={'format': 'pt'})");
    throw Error(dir, "has no model.safetensors or model.safetensors.index.json");
  }
  return c;
}

int64_t config_int(const HfCheckpoint& c, const std::string& key) {
  const ordered_json& v = config_value(c, key);
  if (!v.is_number_integer()) throw Error(c.config_file(), "\"" + key + "\" is not an integer: " + v.dump());
  return v.get<int64_t>();
}

int64_t config_int(const HfCheckpoint& c, const std::string& key, int64_t fallback) {
  return c.config.contains(key) && !c.config[key].is_null() ? config_int(c, key) : fallback;
}

double config_real(const HfCheckpoint& c, const std::string& key) {
  const ordered_json& v = config_value(c, key);
  if (!v.is_number()) throw Error(c.config_file(), "\"" + key + "\" is not a number: " + v.dump());
  return v.get<double>();
}

double config_real(const HfCheckpoint& c, const std::string& key, double fallback) {
  return c.config.contains(key) && !c.config[key].is_null() ? config_real(c, key) : fallback;
}

std::string config_text(const HfCheckpoint& c, const std::string& key, const std::string& fallback) {
  if (!c.config.contains(key) || c.config[key].is_null()) return fallback;
  const ordered_json& v = c.config[key];
  if (!v.is_string()) throw Error(c.config_file(), "\"" + key + "\" is not a string: " + v.dump());
  return v.get<std::string>();
}

bool config_flag(const HfCheckpoint& c, const std::string& key, bool fallback) {
  if (!c.config.contains(key) || c.config[key].is_null()) return fallback;
  const ordered_json& v = c.config[key];
  if (!v.is_boolean()) throw Error(c.config_file(), "\"" + key + "\" is not true or false: " + v.dump());
  return v.get<bool>();
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

TensorTaker::TensorTaker(const HfCheckpoint& c, std::string prefix, std::string family)
    : c_(c), prefix_(std::move(prefix)), family_(std::move(family)), used_(c.tensors.tensors.size(), false) {
  for (size_t i = 0; i < c_.tensors.tensors.size(); ++i) {
    const std::string& k = c_.tensors.tensors[i].name;
    const std::string name = !prefix_.empty() && k.rfind(prefix_, 0) == 0 ? k.substr(prefix_.size()) : k;
    const auto [it, fresh] = index_.emplace(name, i);
    if (!fresh)
      throw Error(c_.files[i], "holds both '" + c_.tensors.tensors[it->second].name + "' and '" + k +
                                   "', one parameter under two names");
  }
}

bool TensorTaker::has(const std::string& name) const { return index_.count(name) > 0; }

std::string TensorTaker::key(const std::string& name) const {
  const auto it = index_.find(name);
  return it != index_.end() ? c_.tensors.tensors[it->second].name : prefix_ + name;
}

const SafeTensor& TensorTaker::find(const std::string& name) const {
  const auto it = index_.find(name);
  if (it == index_.end())
    throw Error(c_.weights, "has no '" + prefix_ + name + "'" +
                                (family_.empty() ? std::string() : " (every " + family_ + " checkpoint has one)"));
  return c_.tensors.tensors[it->second];
}

const std::vector<int64_t>& TensorTaker::shape(const std::string& name) const { return find(name).shape; }

StDType TensorTaker::dtype(const std::string& name) const { return find(name).dtype; }

const std::string& TensorTaker::file(const std::string& name) const {
  find(name);
  return c_.files[index_.at(name)];
}

std::vector<float> TensorTaker::take(const std::string& name, const std::vector<int64_t>& shape) {
  const SafeTensor& t = find(name);
  const size_t i = index_.at(name);
  if (t.shape != shape)
    throw Error(c_.files[i], "'" + t.name + "' has shape " + shape_text(t.shape) + ", config.json makes it " +
                                 shape_text(shape));
  used_[i] = true;
  if (t.dtype != StDType::F32 && t.dtype != StDType::F16 && t.dtype != StDType::BF16 && t.dtype != StDType::F64)
    throw Error(c_.files[i], "'" + t.name + "' is " + st_dtype_name(t.dtype) + ", not a floating-point tensor");
  return t.to_f32(c_.files[i]);
}

void TensorTaker::ignore(const std::string& name) {
  const auto it = index_.find(name);
  if (it != index_.end()) used_[it->second] = true;
}

void TensorTaker::finish() const {
  for (size_t i = 0; i < used_.size(); ++i)
    if (!used_[i])
      throw Error(c_.files[i], "unknown key '" + c_.tensors.tensors[i].name + "' (no " +
                                   (family_.empty() ? std::string("imported") : family_) +
                                   " parameter has that name; sslkit does not drop weights it does not know)");
}

}  // namespace sslkit::io
