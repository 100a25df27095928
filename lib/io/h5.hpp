// Thin RAII over HDF5's C API: handles that close themselves, typed
// attributes, chunked row-wise datasets. Every HDF5 failure becomes an
// sslkit::Error naming the file; HDF5's own error stack is never printed.
#pragma once
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sslkit::io {

enum class DType { u8, i32, i64, f32, str, other };
const char* dtype_name(DType t);
template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<uint8_t>() { return DType::u8; }
template <> constexpr DType dtype_of<int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::i64; }
template <> constexpr DType dtype_of<float>() { return DType::f32; }
size_t dtype_size(DType t);
hid_t native_type(DType t);   // for reads and writes
hid_t file_type(DType t);     // little-endian standard type stored on disk
DType classify(hid_t type);   // what a dataset or attribute holds

// Turns off HDF5's automatic error printing, once per process.
void silence_hdf5_errors();
// Whether a message on HDF5's error stack (left by the last failed call)
// contains `text`, e.g. "Fletcher32" for a failed checksum.
bool hdf5_error_mentions(const std::string& text);

class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) { reset(); id_ = o.id_; closer_ = o.closer_; o.id_ = -1; }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Gives up ownership without closing.
  hid_t release() { hid_t id = id_; id_ = -1; return id; }
  void reset() { if (id_ >= 0 && closer_) closer_(id_); id_ = -1; }
  // Closes now and says how that went: a writer's dataset must be closed
  // this way, since closing writes what HDF5 still holds of it (cached
  // chunks, the sieve buffer) and the destructor can only drop an error.
  herr_t close() {
    const hid_t id = release();
    return id >= 0 && closer_ ? closer_(id) : 0;
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Throws Error(subject, what) when id < 0; wraps it with its closer otherwise.
Handle check_id(hid_t id, Handle::Closer closer, const std::string& subject, const std::string& what);
void check_status(herr_t status, const std::string& subject, const std::string& what);

// Attributes on any object (file root, group or dataset).
// The path of the file an object is in (for messages).
std::string file_of(hid_t obj);
bool has_attr(hid_t obj, const std::string& name);
// The names of a group's links in name order, read as the group stores
// them (never from its declared link count, which a damaged file can set to
// 2^64); an Error past 1,048,576 links.
std::vector<std::string> link_names(hid_t group);
// Whether attribute `name` exists and holds strings.
bool attr_is_string(hid_t obj, const std::string& name);
void set_attr_string(hid_t obj, const std::string& name, const std::string& value);
void set_attr_strings(hid_t obj, const std::string& name, const std::vector<std::string>& values);
void set_attr_int(hid_t obj, const std::string& name, int64_t value);
void set_attr_double(hid_t obj, const std::string& name, double value);
void set_attr_ints(hid_t obj, const std::string& name, const std::vector<int64_t>& values);
std::string attr_string(hid_t obj, const std::string& name);
std::vector<std::string> attr_strings(hid_t obj, const std::string& name);
int64_t attr_int(hid_t obj, const std::string& name);
double attr_double(hid_t obj, const std::string& name);
std::vector<int64_t> attr_ints(hid_t obj, const std::string& name);
std::vector<std::string> attr_names(hid_t obj);
// An attribute's value printed for a person (strings, numbers, short arrays).
std::string attr_to_text(hid_t obj, const std::string& name);

struct DatasetInfo {
  std::string name;             // "/images"
  DType dtype = DType::other;
  std::string type_text;        // e.g. "uint8", "float32", "string"
  std::vector<hsize_t> shape;
  std::vector<hsize_t> chunk;   // empty when contiguous
  std::string filters;          // e.g. "deflate(1)"; empty when none
};
DatasetInfo describe_dataset(hid_t dset, const std::string& name);
// How many leading rows of `dset` (described by `i`, `element_size` bytes a
// value) the file really stores: i.shape[0] when all, fewer for a sparse or
// truncated dataset (a tiny file can declare 10^9 rows). Checked from the
// chunk count or the stored bytes, before any read.
hsize_t stored_rows(hid_t dset, const DatasetInfo& i, size_t element_size, const std::string& subject);

// Rows [start, start+count) of dataset `dset` along its first dimension.
// `row_elems` is the number of elements in one row.
void read_rows(hid_t dset, DType t, size_t start, size_t count, void* out, const std::string& subject);
// The rows `rows` (sorted, distinct) of `dset`, one read per run of
// consecutive rows, through the dataset's chunk cache.
void read_row_set(hid_t dset, DType t, const std::vector<size_t>& rows, void* out, const std::string& subject);
void write_rows(hid_t dset, DType t, size_t start, size_t count, const void* data, const std::string& subject);

// Variable-length string datasets (e.g. /history).
void write_strings(hid_t loc, const std::string& name, const std::vector<std::string>& values);
std::vector<std::string> read_strings(hid_t dset, const std::string& subject);

}  // namespace sslkit::io
