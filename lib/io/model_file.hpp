// Model files (DESIGN section 3): one HDF5 file with root attribute
// format = "sslkit-model", /config (a JSON string), float32 tensors under
// /params, /buffers and /optimizer by dotted module path, integer state
// (step, epoch, RNG words) as attributes or int64 datasets under /state,
// and per-step series under /train. The engine knows nothing of this
// layout; lib/train moves modules and optimizers in and out.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/files.hpp"
#include "io/h5.hpp"

namespace sslkit::io {

struct StoredTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

class ModelWriter {
 public:
  explicit ModelWriter(const std::string& path, Commit when = Commit::with_run);
  ~ModelWriter();
  void set_config(const std::string& json);
  // group: "params", "buffers", "optimizer"; name: a dotted path (kept as one
  // dataset name so h5py shows "conv0.weight").
  void tensor(const std::string& group, const std::string& name, const std::vector<int64_t>& shape,
              const float* values);
  void ints(const std::string& name, const std::vector<int64_t>& values);       // /state/<name>
  void series(const std::string& name, const std::vector<float>& values);       // /train/<name>
  // /<name> as uint8 (a text model's tokenizer, so it can decode on its own).
  void bytes(const std::string& name, const std::vector<uint8_t>& values);
  void set_history(std::vector<std::string> history) { history_ = std::move(history); }
  void commit();

 private:
  hid_t group(const std::string& name);
  OutputFile out_;
  Handle file_;
  std::vector<std::pair<std::string, Handle>> groups_;
  std::vector<std::string> history_;
};

class ModelReader {
 public:
  explicit ModelReader(const std::string& path);
  // A model file already open (ssl-info's, which may be spooled stdin),
  // named `name` in errors.
  ModelReader(Handle file, std::string name);
  const std::string& name() const { return name_; }
  hid_t root() const { return file_; }
  std::string config() const;
  bool has(const std::string& group, const std::string& name) const;
  std::vector<std::string> names(const std::string& group) const;
  StoredTensor tensor(const std::string& group, const std::string& name) const;
  // The shape of a tensor without reading its values.
  std::vector<int64_t> shape(const std::string& group, const std::string& name) const;
  std::vector<int64_t> ints(const std::string& name) const;
  std::vector<float> series(const std::string& name) const;
  // /<name> as uint8; empty when the file has none.
  std::vector<uint8_t> bytes(const std::string& name) const;

 private:
  std::string name_;
  Handle file_;
};

}  // namespace sslkit::io
