#include "io/model_file.hpp"

#include "core/error.hpp"
#include "io/cpu_deadline.hpp"
#include "io/data_file.hpp"
#include "io/schema.hpp"

namespace sslkit::io {

namespace {

// Every non-empty dataset is one chunk (up to 1 GiB) with HDF5's Fletcher-32 checksum, so
// damage to the weights (a zeroed block, a bad sector) is refused on read
// instead of loading as other numbers; checksums need chunked storage, and
// one chunk per tensor keeps reads a single I/O (docs/format.md has the cost).
Handle create_dataset(hid_t loc, const std::string& name, hid_t ftype, const std::vector<hsize_t>& dims,
                      const std::string& file) {
  Handle space(H5Screate_simple(dims.size(), dims.data(), nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_obj_track_times(dcpl, 0);
  // HDF5 chunks stop at 4 GiB: a tensor over 1 GiB is cut along its first axis.
  std::vector<hsize_t> chunk = dims;
  hsize_t bytes = H5Tget_size(ftype);
  for (auto d : dims) bytes *= d;
  while (bytes > (hsize_t{1} << 30) && !chunk.empty() && chunk[0] > 1) {
    bytes = bytes / chunk[0] * ((chunk[0] + 1) / 2);
    chunk[0] = (chunk[0] + 1) / 2;
  }
  if (bytes > 0 && bytes <= (hsize_t{1} << 30) && !chunk.empty()) {
    check_status(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), file, "cannot chunk " + name);
    check_status(H5Pset_fletcher32(dcpl), file, "cannot add a checksum to " + name);
  }
  return check_id(H5Dcreate2(loc, name.c_str(), ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose, file,
                  "cannot create " + name);
}

// Reads all of `d`; a failed Fletcher-32 check says the file is damaged.
void read_all(hid_t d, hid_t mem_type, void* out, const std::string& file, const std::string& what) {
  if (H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0) return;
  if (hdf5_error_mentions("Fletcher32")) throw Error(file, what + ": checksum mismatch: the file is damaged");
  throw Error(file, "cannot read " + what + " (truncated or corrupt file?)");
}

}  // namespace

ModelWriter::ModelWriter(const std::string& path, Commit when) : out_(path, when) {
  silence_hdf5_errors();
  file_ = check_id(H5Fcreate(out_.temp_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                   out_.name(), "cannot create HDF5 file");
  set_attr_string(file_, "format", kModelFormatName);
  set_attr_int(file_, "format_version", 1);
}

ModelWriter::~ModelWriter() {
  groups_.clear();
  file_.reset();
}

hid_t ModelWriter::group(const std::string& name) {
  for (auto& [n, h] : groups_)
    if (n == name) return h;
  Handle g = check_id(H5Gcreate2(file_, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, out_.name(),
                      "cannot create group " + name);
  groups_.emplace_back(name, std::move(g));
  return groups_.back().second;
}

void ModelWriter::set_config(const std::string& json) { write_strings(file_, "config", {json}); }

void ModelWriter::tensor(const std::string& grp, const std::string& name, const std::vector<int64_t>& shape,
                         const float* values) {
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  if (dims.empty()) dims.push_back(1);
  Handle d = create_dataset(group(grp), name, H5T_IEEE_F32LE, dims, out_.name());
  check_status(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), out_.name(),
               "cannot write " + grp + "/" + name);
  check_status(d.close(), out_.name(), "cannot write " + grp + "/" + name);
}

void ModelWriter::ints(const std::string& name, const std::vector<int64_t>& values) {
  Handle d = create_dataset(group("state"), name, H5T_STD_I64LE, {values.size()}, out_.name());
  if (!values.empty())
    check_status(H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), out_.name(),
                 "cannot write state/" + name);
  check_status(d.close(), out_.name(), "cannot write state/" + name);
}

void ModelWriter::series(const std::string& name, const std::vector<float>& values) {
  Handle d = create_dataset(group("train"), name, H5T_IEEE_F32LE, {values.size()}, out_.name());
  if (!values.empty())
    check_status(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), out_.name(),
                 "cannot write train/" + name);
  check_status(d.close(), out_.name(), "cannot write train/" + name);
}

void ModelWriter::bytes(const std::string& name, const std::vector<uint8_t>& values) {
  Handle d = create_dataset(file_, name, H5T_STD_U8LE, {values.size()}, out_.name());
  if (!values.empty())
    check_status(H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), out_.name(),
                 "cannot write /" + name);
  check_status(d.close(), out_.name(), "cannot write /" + name);
}

void ModelWriter::commit() {
  write_strings(file_, "history", history_);
  check_status(H5Fflush(file_, H5F_SCOPE_GLOBAL), out_.name(), "cannot flush");
  for (auto& g : groups_) check_status(g.second.close(), out_.name(), "cannot close group " + g.first);
  groups_.clear();
  hid_t f = file_.release();
  check_status(H5Fclose(f), out_.name(), "cannot close");
  out_.commit();
}

ModelReader::ModelReader(const std::string& path) : name_(display_name(path)) {
  InputFile in(path);
  file_ = open_hdf5(in.path(), in.name());
  CpuDeadline deadline(name_);
  if (file_format(file_, name_) != kModelFormatName)
    throw Error(name_, "not an sslkit model file (root attribute 'format' is not \"sslkit-model\")");
}

ModelReader::ModelReader(Handle file, std::string name) : name_(std::move(name)), file_(std::move(file)) {
  CpuDeadline deadline(name_);
  if (file_format(file_, name_) != kModelFormatName)
    throw Error(name_, "not an sslkit model file (root attribute 'format' is not \"sslkit-model\")");
}

std::string ModelReader::config() const {
  CpuDeadline deadline(name_);
  if (H5Lexists(file_, "config", H5P_DEFAULT) <= 0) throw Error(name_, "missing /config");
  Handle d(H5Dopen2(file_, "config", H5P_DEFAULT), H5Dclose);
  auto v = read_strings(d, name_);
  if (v.size() != 1) throw Error(name_, "/config is not one string");
  return v[0];
}

bool ModelReader::has(const std::string& group, const std::string& name) const {
  CpuDeadline deadline(name_);
  if (H5Lexists(file_, group.c_str(), H5P_DEFAULT) <= 0) return false;
  Handle g(H5Gopen2(file_, group.c_str(), H5P_DEFAULT), H5Gclose);
  return H5Lexists(g, name.c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> ModelReader::names(const std::string& group) const {
  CpuDeadline deadline(name_);
  std::vector<std::string> out;
  if (H5Lexists(file_, group.c_str(), H5P_DEFAULT) <= 0) return out;
  Handle g = check_id(H5Gopen2(file_, group.c_str(), H5P_DEFAULT), H5Gclose, name_, "cannot open group " + group);
  try {
    return link_names(g);
  } catch (const Error&) {
    throw Error(name_, "cannot list group " + group + " (truncated or corrupt file?)");
  }
}

StoredTensor ModelReader::tensor(const std::string& group, const std::string& name) const {
  CpuDeadline deadline(name_);
  if (!has(group, name)) throw Error(name_, "missing " + group + "/" + name);
  Handle g(H5Gopen2(file_, group.c_str(), H5P_DEFAULT), H5Gclose);
  Handle d = check_id(H5Dopen2(g, name.c_str(), H5P_DEFAULT), H5Dclose, name_, "cannot open " + group + "/" + name);
  auto info = describe_dataset(d, group + "/" + name);
  if (info.dtype != DType::f32) throw Error(name_, group + "/" + name + ": expected float32, found " + info.type_text);
  StoredTensor t;
  size_t n = 1;
  for (auto s : info.shape) {
    t.shape.push_back(static_cast<int64_t>(s));
    n *= s;
  }
  t.values.resize(n);
  read_all(d, H5T_NATIVE_FLOAT, t.values.data(), name_, group + "/" + name);
  return t;
}

std::vector<int64_t> ModelReader::shape(const std::string& group, const std::string& name) const {
  CpuDeadline deadline(name_);
  if (!has(group, name)) throw Error(name_, "missing " + group + "/" + name);
  Handle g(H5Gopen2(file_, group.c_str(), H5P_DEFAULT), H5Gclose);
  Handle d = check_id(H5Dopen2(g, name.c_str(), H5P_DEFAULT), H5Dclose, name_, "cannot open " + group + "/" + name);
  std::vector<int64_t> out;
  for (auto s : describe_dataset(d, group + "/" + name).shape) out.push_back(static_cast<int64_t>(s));
  return out;
}

std::vector<int64_t> ModelReader::ints(const std::string& name) const {
  CpuDeadline deadline(name_);
  if (!has("state", name)) throw Error(name_, "missing state/" + name);
  Handle g(H5Gopen2(file_, "state", H5P_DEFAULT), H5Gclose);
  Handle d(H5Dopen2(g, name.c_str(), H5P_DEFAULT), H5Dclose);
  auto info = describe_dataset(d, name);
  std::vector<int64_t> v(info.shape.empty() ? 0 : info.shape[0]);
  if (!v.empty())
    read_all(d, H5T_NATIVE_INT64, v.data(), name_, "state/" + name);
  return v;
}

std::vector<float> ModelReader::series(const std::string& name) const {
  CpuDeadline deadline(name_);
  if (!has("train", name)) return {};
  Handle g(H5Gopen2(file_, "train", H5P_DEFAULT), H5Gclose);
  Handle d(H5Dopen2(g, name.c_str(), H5P_DEFAULT), H5Dclose);
  auto info = describe_dataset(d, name);
  std::vector<float> v(info.shape.empty() ? 0 : info.shape[0]);
  if (!v.empty())
    read_all(d, H5T_NATIVE_FLOAT, v.data(), name_, "train/" + name);
  return v;
}

std::vector<uint8_t> ModelReader::bytes(const std::string& name) const {
  CpuDeadline deadline(name_);
  if (H5Lexists(file_, name.c_str(), H5P_DEFAULT) <= 0) return {};
  Handle d = check_id(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), H5Dclose, name_, "cannot open /" + name);
  auto info = describe_dataset(d, name);
  if (info.shape.size() != 1 || info.dtype != DType::u8)
    throw Error(name_, "/" + name + " is not a one-dimensional uint8 dataset");
  std::vector<uint8_t> v(info.shape[0]);
  if (!v.empty())
    read_all(d, H5T_NATIVE_UINT8, v.data(), name_, "/" + name);
  return v;
}

}  // namespace sslkit::io
