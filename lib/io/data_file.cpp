#include "io/data_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "io/checked_driver.hpp"
#include "io/cpu_deadline.hpp"

namespace sslkit::io {

namespace {

std::string shape_text(const std::vector<hsize_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// Chunk rows: about 16 KiB per chunk, at least one row. Small chunks read
// fastest for random minibatches (docs/format.md has the measurements).
hsize_t chunk_rows(size_t row_bytes) {
  const size_t target = 16 << 10;
  size_t rows = std::max<size_t>(1, target / std::max<size_t>(1, row_bytes));
  return std::min<size_t>(rows, 4096);
}

// Access::once: no chunk cache. Reads then take uncompressed chunks straight
// into the caller's buffer, and decompress a compressed chunk for each read
// that touches it (row_copy's blocks are whole chunks, so once).
Handle once_dataset_access() {
  Handle dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  H5Pset_chunk_cache(dapl, 0, 0, 1.0);
  return dapl;
}

// Access::once, and every writer: a metadata cache of a fixed 32 KiB
// (HDF5 starts at 2 MiB and grows to 32 MiB as more of a dataset's chunk
// index is visited). A front-to-back read or an append visits each index
// node once, in order: it gains nothing from keeping them.
Handle file_access(Access access) {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (access == Access::once) {
    H5AC_cache_config_t c;
    c.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    H5Pget_mdc_config(fapl, &c);
    c.set_initial_size = true;
    c.initial_size = c.min_size = c.max_size = 32 << 10;
    c.incr_mode = H5C_incr__off;
    c.flash_incr_mode = H5C_flash_incr__off;
    c.decr_mode = H5C_decr__off;
    H5Pset_mdc_config(fapl, &c);
  }
  return fapl;
}

Handle dataset_access(size_t chunk_bytes) {
  Handle dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  // Keep a few chunks cached even when one chunk is over HDF5's 1 MiB default;
  // otherwise a large chunk is decompressed again on every read.
  size_t cache = std::max<size_t>(1 << 20, 4 * chunk_bytes);
  // w0 stays at HDF5's default 0.75: with 1.0 (evict fully read chunks
  // first) libhdf5 1.10.8 never evicted the partly read ones, and reading
  // 10,000 scattered rows of a 2 M-image deflated file held every chunk it
  // touched: 1.5 GB against 30 MB (tests/cli/test_hostile_inputs.sh).
  H5Pset_chunk_cache(dapl, 12421, cache, 0.75);
  return dapl;
}

// HDF5 1.10+ takes a shared flock() to read and an exclusive one to write,
// and H5Fopen fails alike for a lock held by a writer (h5py 'r+', an
// HDF5 program still writing) and for a damaged file. Asking for the same
// shared lock without waiting tells the two apart.
bool locked_by_a_writer(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  const bool locked = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);  // drops the lock when we got it
  return locked;
}

}  // namespace

Handle open_hdf5(const std::string& open_path, const std::string& display, Access access) {
  silence_hdf5_errors();
  struct stat st {};
  if (stat(open_path.c_str(), &st) != 0) throw Error(display, std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw Error(display, "is a directory");
  int fd = open(open_path.c_str(), O_RDONLY);
  if (fd < 0) throw Error(display, std::strerror(errno));
  close(fd);
  if (st.st_size == 0) throw Error(display, "empty file, not HDF5");
  CpuDeadline deadline(display);
  htri_t is_h5 = H5Fis_hdf5(open_path.c_str());
  if (is_h5 <= 0) throw Error(display, "not an HDF5 file");
  Handle fapl = file_access(access);
  use_checked_driver(fapl);
  hid_t f = H5Fopen(open_path.c_str(), H5F_ACC_RDONLY, fapl);
  if (f < 0 && locked_by_a_writer(open_path))
    throw Error(display, "locked by another process (HDF5 file locking): a program has it open for writing; close it "
                         "there and retry, or set HDF5_USE_FILE_LOCKING=FALSE to read it anyway");
  if (f < 0) throw Error(display, "truncated or corrupt HDF5 file");
  return Handle(f, H5Fclose);
}

std::string file_format(hid_t file, const std::string& display) {
  // Absent or not a string: another kind of file. A string attribute that
  // cannot be read is damage (its global heap, most often).
  if (!attr_is_string(file, "format")) return "";
  try {
    return attr_string(file, "format");
  } catch (const Error&) {
    throw Error(display, "its root attribute 'format' cannot be read: the file's HDF5 metadata is corrupt");
  }
}

// ---------------------------------------------------------------- writer

DataWriter::DataWriter(const std::string& path, Modality modality, Commit when) : out_(path, when) {
  silence_hdf5_errors();
  Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  H5Pset_obj_track_times(fcpl, 0);
  file_ = check_id(H5Fcreate(out_.temp_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, file_access(Access::once)), H5Fclose,
                   out_.name(), "cannot create HDF5 file");
  set_attr_string(file_, "format", kFormatName);
  set_attr_int(file_, "format_version", kFormatVersion);
  set_attr_string(file_, "modality", modality_name(modality));
}

DataWriter::~DataWriter() {
  columns_.clear();
  file_.reset();
  // out_ removes the temp file unless commit() succeeded.
}

const DataWriter::Column& DataWriter::column(const std::string& name) const {
  auto it = columns_.find(name);
  if (it == columns_.end()) SSLKIT_FAIL(out_.name() + ": no dataset " + name + " was created");
  return it->second;
}

hid_t DataWriter::dataset(const std::string& name) const { return column(name).dset; }
size_t DataWriter::rows(const std::string& name) const { return column(name).rows; }
size_t DataWriter::row_elems(const std::string& name) const { return column(name).row_elems; }

void DataWriter::check_dtype(const std::string& name, DType t) const {
  if (column(name).dtype != t)
    SSLKIT_FAIL(out_.name() + ": writing " + std::string(dtype_name(t)) + " to " + name);
}

void DataWriter::create(const std::string& name, DType t, const std::vector<hsize_t>& row_shape) {
  std::vector<hsize_t> dims{0}, maxdims{H5S_UNLIMITED}, chunk;
  size_t elems = 1;
  for (auto d : row_shape) {
    dims.push_back(d);
    maxdims.push_back(d);
    elems *= d;
  }
  chunk = dims;
  chunk[0] = chunk_rows(elems * dtype_size(t));
  for (size_t i = 1; i < chunk.size(); ++i) chunk[i] = std::max<hsize_t>(1, chunk[i]);
  Handle space(H5Screate_simple(dims.size(), dims.data(), maxdims.data()), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(dcpl, chunk.size(), chunk.data());
  H5Pset_obj_track_times(dcpl, 0);
  if (compress_) H5Pset_deflate(dcpl, 1);
  // Rows are appended in order: only the last, partly filled chunk is
  // written again (the next append completes it), so two chunks of cache
  // suffice; more would only hold finished chunks.
  Handle dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  H5Pset_chunk_cache(dapl, 521, 2 * chunk[0] * elems * dtype_size(t), 1.0);
  Column c{check_id(H5Dcreate2(file_, name.c_str(), file_type(t), space, H5P_DEFAULT, dcpl, dapl), H5Dclose,
                    out_.name(), "cannot create dataset " + name),
           t, elems};
  columns_[name] = std::move(c);
}

void DataWriter::append(const std::string& name, const void* rows, size_t count) {
  auto it = columns_.find(name);
  if (it == columns_.end()) SSLKIT_FAIL(out_.name() + ": no dataset " + name + " was created");
  Column& c = it->second;
  if (count == 0) return;
  Handle space(H5Dget_space(c.dset), H5Sclose);
  int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(rank);
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  dims[0] = c.rows + count;
  check_status(H5Dset_extent(c.dset, dims.data()), out_.name(), "cannot grow dataset " + name);
  write_rows(c.dset, c.dtype, c.rows, count, rows, out_.name() + ": " + name);
  c.rows += count;
}

void DataWriter::write_blob(const std::string& name, const std::vector<uint8_t>& bytes) {
  hsize_t n = bytes.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_obj_track_times(dcpl, 0);
  Handle d = check_id(H5Dcreate2(file_, name.c_str(), H5T_STD_U8LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                      H5Dclose, out_.name(), "cannot create dataset " + name);
  if (n)
    check_status(H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()), out_.name(),
                 "cannot write " + name);
  columns_[name] = Column{std::move(d), DType::u8, 0, 0};
}

void DataWriter::copy_from(const DataReader& in, const std::vector<std::string>& skip) {
  // H5Ocopy crashes (HDF5 1.10) when the disk fills during the copy: make
  // sure the copy fits before starting it.
  hsize_t needed = 0;
  for (const auto& d : in.datasets())
    if (d.name != "/history" && std::find(skip.begin(), skip.end(), d.name) == skip.end())
      needed += H5Dget_storage_size(in.dataset(d.name));
  struct statvfs fs {};
  if (statvfs(out_.temp_path().c_str(), &fs) == 0) {
    const unsigned long long free_bytes = static_cast<unsigned long long>(fs.f_bavail) * fs.f_frsize;
    if (free_bytes < needed + needed / 16 + (256 << 10))
      throw Error(out_.name(), std::string(std::strerror(ENOSPC)) + " (the copy of " + in.name() + " needs " +
                                   std::to_string(needed >> 10) + " KiB, " + std::to_string(free_bytes >> 10) + " KiB free)");
  }
  for (const auto& d : in.datasets()) {
    if (d.name == "/history" || std::find(skip.begin(), skip.end(), d.name) != skip.end()) continue;
    check_status(H5Ocopy(in.root(), d.name.c_str(), file_, d.name.c_str(), H5P_DEFAULT, H5P_DEFAULT), out_.name(),
                 "cannot copy " + d.name + " from " + in.name());
  }
}

void DataWriter::commit() {
  size_t n = 0;
  std::string first;
  for (auto& [name, c] : columns_) {
    const DatasetRule* rule = find_rule(name);
    if (c.row_elems == 0 || (rule && !rule->per_sample)) continue;
    if (first.empty()) {
      first = name;
      n = c.rows;
    } else if (c.rows != n) {
      SSLKIT_FAIL(out_.name() + ": " + name + " has " + std::to_string(c.rows) + " rows, " + first +
                                   " has " + std::to_string(n));
    }
  }
  write_strings(file_, "history", history_);
  // Everything out first, checked, then each dataset closed, checked:
  // closing a dataset writes its cached chunks, and a failure there (a full
  // disk) left an unreadable file that the tool reported as written.
  check_status(H5Fflush(file_, H5F_SCOPE_GLOBAL), out_.name(), "cannot flush file");
  for (auto& [name, c] : columns_) check_status(c.dset.close(), out_.name(), "cannot write " + name);
  columns_.clear();
  hid_t f = file_.release();
  check_status(H5Fclose(f), out_.name(), "cannot close file");
  out_.commit();
}

// ---------------------------------------------------------------- reader

DataReader::DataReader(const std::string& path, Access access)
    : input_(std::make_unique<InputFile>(path)), access_(access) {
  file_ = open_hdf5(input_->path(), input_->name(), access);
  validate();
}

DataReader::DataReader(std::unique_ptr<InputFile> input, Handle file)
    : input_(std::move(input)), file_(std::move(file)) {
  validate();
}

bool DataReader::has(const std::string& name) const {
  if (open_.count(name)) return true;
  CpuDeadline deadline(this->name());
  std::string rel = name.substr(name[0] == '/' ? 1 : 0);
  if (H5Lexists(file_, rel.c_str(), H5P_DEFAULT) <= 0) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name2(file_, rel.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return false;
  return info.type == H5O_TYPE_DATASET;
}

hid_t DataReader::dataset(const std::string& name) const {
  auto it = open_.find(name);
  if (it != open_.end()) return it->second;
  if (!has(name)) throw Error(this->name(), "missing dataset " + name);
  CpuDeadline deadline(this->name());
  if (access_ == Access::once) {
    Handle d = check_id(H5Dopen2(file_, name.c_str(), once_dataset_access()), H5Dclose, this->name(),
                        "cannot open dataset " + name);
    return open_.emplace(name, std::move(d)).first->second;
  }
  Handle d = check_id(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), H5Dclose, this->name(),
                      "cannot open dataset " + name);
  // Size the chunk cache to the dataset's chunks (see dataset_access).
  auto i = describe_dataset(d, name);
  if (!i.chunk.empty()) {
    size_t bytes = std::max<size_t>(1, dtype_size(i.dtype));
    for (auto c : i.chunk) bytes *= c;
    if (bytes > (1u << 20) / 4) {
      Handle dapl = dataset_access(bytes);
      // Closed first: HDF5 shares one chunk cache between the handles of an
      // open dataset, so a second open while the first is open keeps the
      // first's 1 MiB cache and ignores dapl (a 3 MiB deflated chunk was then
      // decompressed once per row read: ssl-pretrain's pixel statistics took
      // 65 s on 2 M images).
      d.reset();
      d = check_id(H5Dopen2(file_, name.c_str(), dapl), H5Dclose, this->name(), "cannot open dataset " + name);
    }
  }
  hid_t id = d.get();
  open_.emplace(name, std::move(d));
  return id;
}

DatasetInfo DataReader::info(const std::string& name) const { return describe_dataset(dataset(name), name); }

std::vector<DatasetInfo> DataReader::datasets() const {
  std::vector<DatasetInfo> out;
  for (const std::string& link : link_names(file_)) {
    const std::string name = "/" + link;
    if (has(name)) out.push_back(info(name));
  }
  return out;
}

namespace {

// Every name at the root must be the object itself: an external link would
// read another file by surprise, a soft link another dataset.
void check_root_links(hid_t file, const std::string& display) {
  std::vector<std::string> links;
  try {
    links = link_names(file);
  } catch (const Error&) {
    throw Error(display, "cannot list the root group (truncated or corrupt file?)");
  }
  for (const std::string& link : links) {
    H5L_info_t li;
    if (H5Lget_info(file, link.c_str(), &li, H5P_DEFAULT) < 0) throw Error(display, "cannot read link /" + link);
    if (li.type == H5L_TYPE_EXTERNAL)
      throw Error(display, "/" + link + " is an external link to another file; sslkit reads no other file by surprise (copy the data in)");
    if (li.type != H5L_TYPE_HARD)
      throw Error(display, "/" + link + " is a soft link; sslkit reads datasets stored under their own name");
  }
}

// A dataset's declared rows must be backed by stored data: a tiny sparse
// file declaring 10^9 samples must not make a tool allocate for them.
void check_backed(hid_t dset, const DatasetInfo& i, const std::string& display) {
  if (i.shape.empty() || i.shape[0] == 0) return;
  const hsize_t backed_rows = stored_rows(dset, i, dtype_size(i.dtype), display);
  if (backed_rows >= i.shape[0]) return;
  throw Error(display, i.name + " declares " + std::to_string(i.shape[0]) + " samples but stores data for only " +
                           std::to_string(backed_rows) + " (a sparse or truncated file)");
}

// Every chunk a read touches is decompressed whole and up to four are kept
// (dataset_access): a file whose chunks are gigabytes would take that much
// memory for a single row, whatever the tool.
void check_chunk_size(const DatasetInfo& i, const std::string& display) {
  if (i.chunk.empty() || i.dtype == DType::str) return;
  double bytes = static_cast<double>(dtype_size(i.dtype));
  for (auto c : i.chunk) bytes *= static_cast<double>(c);
  if (bytes > static_cast<double>(kMaxChunkBytes))
    throw Error(display, i.name + ": chunks of " + std::to_string(static_cast<long long>(bytes / (1 << 20))) +
                             " MiB, over the " + std::to_string(kMaxChunkBytes >> 20) +
                             " MiB sslkit reads (rechunk it: h5repack -l " + i.name.substr(1) + ":CHUNK=...)");
}

}  // namespace

void DataReader::validate() {
  const std::string& file = name();
  CpuDeadline deadline(file);
  check_root_links(file_, file);
  std::string format = file_format(file_, name());
  if (format == kModelFormatName) throw Error(file, "is a model file, not a data file");
  if (format != kFormatName) throw Error(file, "not an SSL-HDF5 file (root attribute 'format' is not \"sslkit\")");
  if (!has_attr(file_, "format_version")) throw Error(file, "missing root attribute 'format_version'");
  int64_t version = 0;
  try {
    version = attr_int(file_, "format_version");
  } catch (const Error&) {
    throw Error(file, "root attribute 'format_version' is not an integer");
  }
  if (version != kFormatVersion)
    throw Error(file, "unknown format version " + std::to_string(version) + " (this build reads version " +
                          std::to_string(kFormatVersion) + ")");
  if (!has_attr(file_, "modality")) throw Error(file, "missing root attribute 'modality'");
  std::string m = attr_string(file_, "modality");
  auto mod = parse_modality(m);
  if (!mod) throw Error(file, "unknown modality '" + m + "'");
  modality_ = *mod;

  for (auto& any_of : required_datasets(modality_)) {
    bool found = false;
    for (auto& d : any_of) found = found || has(d);
    if (!found) {
      std::string names;
      for (auto& d : any_of) names += (names.empty() ? "" : " or ") + d;
      throw Error(file, "missing dataset " + names + " (required for modality " + m + ")");
    }
  }
  // Check every known dataset's dtype and rank, and that all per-sample
  // datasets agree on N.
  std::string n_from;
  for (auto& rule : dataset_rules()) {
    if (!has(rule.name)) continue;
    auto i = info(rule.name);
    if (i.dtype != rule.dtype)
      throw Error(file, std::string(rule.name) + ": expected " + dtype_name(rule.dtype) + ", found " + i.type_text);
    check_chunk_size(i, file);
    if (static_cast<int>(i.shape.size()) != rule.rank && !frame_embeddings(rule.name, i))
      throw Error(file, std::string(rule.name) + ": expected rank " + std::to_string(rule.rank) + " " + rule.axes +
                            ", found shape " + shape_text(i.shape));
    if (!rule.per_sample) continue;
    if (n_from.empty()) {
      n_from = rule.name;
      n_ = i.shape[0];
    } else if (i.shape[0] != n_) {
      throw Error(file, std::string(rule.name) + " has " + std::to_string(i.shape[0]) + " rows but " + n_from +
                            " has " + std::to_string(n_) + " rows");
    }
  }
  validate_frames();
  for (const char* pixels : {"/images", "/views"}) {
    if (!has(pixels)) continue;
    auto i = info(pixels);
    hsize_t c = i.shape.back();
    if (c != 1 && c != 3)
      throw Error(file, std::string(pixels) + ": expected 1 or 3 channels, found " + std::to_string(c));
    for (size_t k = 1; k < i.shape.size(); ++k)
      if (i.shape[k] == 0) throw Error(file, std::string(pixels) + " has a zero-sized axis " + shape_text(i.shape));
  }
  // The schema holds; now the declared rows must be stored.
  for (auto& rule : dataset_rules())
    if (rule.per_sample && has(rule.name)) check_backed(dataset(rule.name), info(rule.name), file);
  validate_labels();
}

// ssl-embed --frames: /embeddings [N,F,D], one embedding per frame, padded
// to the F frames of the longest clip, and /frames [N], each clip's real
// frame count. Either without the other is half of that pair.
bool DataReader::frame_embeddings(const std::string& name, const DatasetInfo& i) const {
  return name == "/embeddings" && i.shape.size() == 3 && has("/frames");
}

void DataReader::validate_frames() {
  const bool per_frame = has("/embeddings") && info("/embeddings").shape.size() == 3;
  if (!has("/frames")) return;
  if (!per_frame)
    throw Error(name(), "/frames counts the frames of per-frame embeddings, but there is no /embeddings [N,F,D] "
                        "(ssl-embed --frames writes the pair)");
  const int64_t frames = static_cast<int64_t>(info("/embeddings").shape[1]);
  for_each_int32("/frames", [&](int32_t v, size_t row) {
    if (v < 0 || v > frames)
      throw Error(name(), "/frames: " + std::to_string(v) + " frames at row " + std::to_string(row) + " outside the 0.." +
                              std::to_string(frames) + " of /embeddings");
  });
}

void DataReader::for_each_int32(const std::string& dataset, const std::function<void(int32_t, size_t)>& fn) const {
  std::vector<int32_t> block;
  for (size_t start = 0; start < n_; start += 65536) {
    const size_t count = std::min<size_t>(65536, n_ - start);
    block.resize(count);
    read<int32_t>(dataset, start, count, block.data());
    for (size_t r = 0; r < count; ++r) fn(block[r], start + r);
  }
}

// Labels are -1 (none) or a class index: below the number of class names
// when the file has them, below kMaxClasses otherwise. Read in blocks, so
// memory stays flat.
void DataReader::validate_labels() {
  if (!has("/labels")) return;
  const auto names = class_names();
  const int64_t classes = names.empty() ? kMaxClasses : static_cast<int64_t>(names.size());
  for_each_int32("/labels", [&](int32_t v, size_t row) {
    if (v < -1 || v >= classes)
      throw Error(name(), "label " + std::to_string(v) + " at row " + std::to_string(row) + " is outside the " +
                              std::to_string(classes) + " classes" +
                              (names.empty() ? " a file without class names may have" : " of its class names") +
                              " (0.." + std::to_string(classes - 1) + ", or -1 for none)");
  });
}

void DataReader::check_read(const std::string& name, DType t) const {
  auto i = info(name);
  if (i.dtype != t)
    throw Error(this->name(), name + ": expected " + dtype_name(t) + ", found " + i.type_text);
}

std::vector<int32_t> DataReader::labels() const {
  if (!has("/labels")) return std::vector<int32_t>(n_, -1);
  return read_all<int32_t>("/labels");
}

std::vector<int64_t> DataReader::ids() const { return ids(0, n_); }

std::vector<int64_t> DataReader::ids(size_t start, size_t count) const {
  std::vector<int64_t> v(count);
  if (has("/ids")) read<int64_t>("/ids", start, count, v.data());
  else
    for (size_t i = 0; i < count; ++i) v[i] = static_cast<int64_t>(start + i);
  return v;
}

std::vector<int64_t> DataReader::ids_at(const std::vector<size_t>& rows) const {
  std::vector<int64_t> v(rows.size());
  if (has("/ids")) read_at<int64_t>("/ids", rows, v.data());
  else
    for (size_t i = 0; i < rows.size(); ++i) v[i] = static_cast<int64_t>(rows[i]);
  return v;
}

int DataReader::sample_rate() const {
  return has("/audio") && has_attr(dataset("/audio"), "sample_rate")
             ? static_cast<int>(attr_int(dataset("/audio"), "sample_rate")) : 16000;
}

std::vector<std::string> DataReader::class_names() const {
  if (!has("/labels") || !has_attr(dataset("/labels"), "class_names")) return {};
  return attr_strings(dataset("/labels"), "class_names");
}

std::vector<std::string> DataReader::history() const {
  if (!has("/history")) return {};
  return read_strings(dataset("/history"), name());
}

}  // namespace sslkit::io
