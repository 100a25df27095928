// Reading and writing SSL-HDF5 data files in batches of rows, so memory
// stays flat however many samples a file holds.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/files.hpp"
#include "io/h5.hpp"
#include "io/schema.hpp"

namespace sslkit::io {

// Writes one data file. Per-sample datasets grow by append(); the file
// appears at its path (or on stdout) only when commit() succeeds.
class DataWriter {
 public:
  // `when`: Commit::now for a file the run itself reads afterwards (a shard's input).
  DataWriter(const std::string& path, Modality modality, Commit when = Commit::with_run);
  ~DataWriter();
  DataWriter(const DataWriter&) = delete;
  DataWriter& operator=(const DataWriter&) = delete;

  const std::string& name() const { return out_.name(); }
  hid_t root() const { return file_; }
  hid_t dataset(const std::string& name) const;

  // Deflate-1 on every per-sample dataset created from now on (--compress).
  void set_compression(bool on) { compress_ = on; }
  // A per-sample dataset whose rows have shape `row_shape`; chunked along N
  // (about 16 KiB per chunk, at least one row), deflated when compression is on.
  void create(const std::string& name, DType t, const std::vector<hsize_t>& row_shape);
  void append(const std::string& name, const void* rows, size_t count);
  template <class T>
  void append(const std::string& name, const std::vector<T>& values) {
    check_dtype(name, dtype_of<T>());
    append(name, values.data(), values.size() / row_elems(name));
  }
  size_t rows(const std::string& name) const;
  // A dataset that is not per sample, written whole (e.g. /tokenizer).
  void write_blob(const std::string& name, const std::vector<uint8_t>& bytes);
  // Copies every dataset of `in` but /history and the names in `skip`
  // whole, attributes included (HDF5 copies chunk by chunk, so memory
  // stays flat). They came from a validated file; datasets the caller adds
  // must have its N.
  void copy_from(const class DataReader& in, const std::vector<std::string>& skip);
  void set_history(std::vector<std::string> history) { history_ = std::move(history); }

  // Checks that all per-sample datasets have the same N, writes /history,
  // closes the file and moves it into place.
  void commit();

 private:
  struct Column {
    Handle dset;
    DType dtype;
    size_t row_elems;
    size_t rows = 0;
  };
  void check_dtype(const std::string& name, DType t) const;
  size_t row_elems(const std::string& name) const;
  const Column& column(const std::string& name) const;
  OutputFile out_;
  Handle file_;
  std::map<std::string, Column> columns_;
  std::vector<std::string> history_;
  bool compress_ = false;
};

// Most classes a file without class names may label (class names lift it).
constexpr int64_t kMaxClasses = 100000;

// How a reader will be read. random (the default): minibatches anywhere in
// the file, so each dataset keeps recently read chunks and HDF5 keeps its
// chunk index in its metadata cache (up to its 32 MiB default). once: each
// row read once, front to back (ssl-cat, a --shard's copy): no chunk cache
// (uncompressed chunks go straight into the caller's buffer) and a small,
// fixed metadata cache, so what the reader holds does not grow with the file.
enum class Access { random, once };

// Opens and validates a data file ("-" is stdin). Every schema problem is
// an Error naming the file and what is wrong, in one line.
class DataReader {
 public:
  explicit DataReader(const std::string& path, Access access = Access::random);
  // Takes over an input already opened (e.g. by a tool that looked at its
  // format attribute first).
  DataReader(std::unique_ptr<InputFile> input, Handle file);
  const std::string& name() const { return input_->name(); }
  Modality modality() const { return modality_; }
  size_t size() const { return n_; }
  hid_t root() const { return file_; }

  bool has(const std::string& name) const;
  hid_t dataset(const std::string& name) const;  // throws if missing
  DatasetInfo info(const std::string& name) const;
  std::vector<DatasetInfo> datasets() const;     // every dataset at the root

  template <class T>
  void read(const std::string& name, size_t start, size_t count, T* out) const {
    check_read(name, dtype_of<T>());
    read_rows(dataset(name), dtype_of<T>(), start, count, out, name_of(name));
  }
  // The rows `rows` (sorted, distinct) in one read.
  template <class T>
  void read_at(const std::string& name, const std::vector<size_t>& rows, T* out) const {
    check_read(name, dtype_of<T>());
    read_row_set(dataset(name), dtype_of<T>(), rows, out, name_of(name));
  }
  // A whole dataset; for small ones (labels, ids, a tokenizer).
  template <class T>
  std::vector<T> read_all(const std::string& name) const {
    auto i = info(name);
    size_t elems = 1;
    for (auto d : i.shape) elems *= d;
    std::vector<T> v(elems);
    if (elems) {
      check_read(name, dtype_of<T>());
      read_rows(dataset(name), dtype_of<T>(), 0, i.shape[0], v.data(), name_of(name));
    }
    return v;
  }

  // /labels, or all -1 when the file has none.
  std::vector<int32_t> labels() const;
  // /ids, or 0..N-1 when the file has none.
  std::vector<int64_t> ids() const;
  // Rows start..start+count-1 of the same.
  std::vector<int64_t> ids(size_t start, size_t count) const;
  // Rows `rows` (sorted, distinct) of the same, in one read.
  std::vector<int64_t> ids_at(const std::vector<size_t>& rows) const;
  std::vector<std::string> class_names() const;
  // Audio files: /audio's sample_rate attribute (16000 when it has none).
  int sample_rate() const;
  std::vector<std::string> history() const;

 private:
  void validate();
  void validate_labels();
  bool frame_embeddings(const std::string& name, const DatasetInfo& i) const;
  void validate_frames();
  void check_read(const std::string& name, DType t) const;
  // fn(value, row) for every row of an int32 [N] dataset, read in blocks so
  // memory stays flat whatever N.
  void for_each_int32(const std::string& dataset, const std::function<void(int32_t, size_t)>& fn) const;
  std::string name_of(const std::string& dataset) const { return name() + ": " + dataset; }
  std::unique_ptr<InputFile> input_;
  Handle file_;
  Access access_ = Access::random;
  Modality modality_ = Modality::image;
  size_t n_ = 0;
  mutable std::map<std::string, Handle> open_;
};

// The root `format` attribute ("sslkit", "sslkit-model"), "" when absent or
// not a string; an Error naming `display` when a string one cannot be read.
std::string file_format(hid_t file, const std::string& display);

// Opens an HDF5 file read-only with errors turned into one line each:
// missing file, not HDF5, truncated or corrupt.
Handle open_hdf5(const std::string& open_path, const std::string& display, Access access = Access::random);

}  // namespace sslkit::io
