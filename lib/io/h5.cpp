#include "io/h5.hpp"

#include <H5DSpublic.h>

#include <cstring>
#include <mutex>
#include <sstream>
#include <type_traits>

#include "core/error.hpp"
#include "io/checked_driver.hpp"
#include "io/cpu_deadline.hpp"
#include "io/files.hpp"

namespace sslkit::io {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::u8: return "uint8";
    case DType::i32: return "int32";
    case DType::i64: return "int64";
    case DType::f32: return "float32";
    case DType::str: return "string";
    default: return "other";
  }
}

size_t dtype_size(DType t) {
  switch (t) {
    case DType::u8: return 1;
    case DType::i32: return 4;
    case DType::i64: return 8;
    case DType::f32: return 4;
    default: return 0;
  }
}

hid_t native_type(DType t) {
  switch (t) {
    case DType::u8: return H5T_NATIVE_UINT8;
    case DType::i32: return H5T_NATIVE_INT32;
    case DType::i64: return H5T_NATIVE_INT64;
    case DType::f32: return H5T_NATIVE_FLOAT;
    default: SSLKIT_FAIL(std::string("no native HDF5 type"));
  }
}

hid_t file_type(DType t) {
  switch (t) {
    case DType::u8: return H5T_STD_U8LE;
    case DType::i32: return H5T_STD_I32LE;
    case DType::i64: return H5T_STD_I64LE;
    case DType::f32: return H5T_IEEE_F32LE;
    default: SSLKIT_FAIL(std::string("no HDF5 file type"));
  }
}

DType classify(hid_t type) {
  H5T_class_t c = H5Tget_class(type);
  size_t size = H5Tget_size(type);
  if (c == H5T_STRING) return DType::str;
  if (c == H5T_INTEGER) {
    bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    if (!is_signed && size == 1) return DType::u8;
    if (is_signed && size == 4) return DType::i32;
    if (is_signed && size == 8) return DType::i64;
  }
  if (c == H5T_FLOAT && size == 4) return DType::f32;
  return DType::other;
}

static std::string type_text(hid_t type) {
  DType d = classify(type);
  if (d != DType::other) return dtype_name(d);
  size_t bits = H5Tget_size(type) * 8;
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return std::string(H5Tget_sign(type) == H5T_SGN_2 ? "int" : "uint") + std::to_string(bits);
    case H5T_FLOAT: return "float" + std::to_string(bits);
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_ARRAY: return "array";
    case H5T_VLEN: return "vlen";
    default: return "other";
  }
}

void silence_hdf5_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

bool hdf5_error_mentions(const std::string& text) {
  struct Search {
    const std::string* text;
    bool found = false;
  } search{&text};
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
        auto* s = static_cast<Search*>(data);
        if (e->desc && std::strstr(e->desc, s->text->c_str())) s->found = true;
        return 0;
      },
      &search);
  return search.found;
}

// HDF5 does not say why a write failed; errno does when the disk is full.
static std::string with_cause(const std::string& what) {
  const std::string cause = disk_error_text();
  return cause.empty() ? what : what + ": " + cause;
}

Handle check_id(hid_t id, Handle::Closer closer, const std::string& subject, const std::string& what) {
  if (id < 0) throw Error(subject, with_cause(what));
  return Handle(id, closer);
}

void check_status(herr_t status, const std::string& subject, const std::string& what) {
  if (status < 0) throw Error(subject, with_cause(what));
}

std::string file_of(hid_t obj) {
  char buf[4096];
  ssize_t n = H5Fget_name(obj, buf, sizeof buf);
  return n > 0 ? std::string(buf) : std::string("HDF5 file");
}

static std::string obj_name(hid_t obj) {
  char buf[512];
  ssize_t n = H5Iget_name(obj, buf, sizeof buf);
  return n > 0 ? std::string(buf) : std::string("/");
}

bool has_attr(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

std::vector<std::string> link_names(hid_t group) {
  CpuDeadline deadline(file_of(group));
  std::vector<std::string> names;
  hsize_t at = 0;
  const herr_t status = H5Literate(
      group, H5_INDEX_NAME, H5_ITER_INC, &at,
      [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
        auto* out = static_cast<std::vector<std::string>*>(data);
        if (out->size() >= (size_t{1} << 20)) return -1;
        out->emplace_back(name);
        return 0;
      },
      &names);
  if (names.size() >= (size_t{1} << 20)) throw Error(file_of(group), obj_name(group) + " holds over 1,048,576 links");
  if (status < 0) throw Error(file_of(group), "cannot list " + obj_name(group) + " (truncated or corrupt file?)");
  return names;
}

bool attr_is_string(hid_t obj, const std::string& name) {
  if (!has_attr(obj, name)) return false;
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  if (!a.valid()) return false;
  Handle type(H5Aget_type(a), H5Tclose);
  return type.valid() && H5Tget_class(type) == H5T_STRING;
}

static Handle create_attr(hid_t obj, const std::string& name, hid_t type, hid_t space) {
  if (has_attr(obj, name)) H5Adelete(obj, name.c_str());
  return check_id(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                  obj_name(obj), "cannot create attribute " + name);
}

static Handle utf8_string_type() {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

void set_attr_string(hid_t obj, const std::string& name, const std::string& value) {
  Handle type = utf8_string_type();
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a = create_attr(obj, name, type, space);
  const char* p = value.c_str();
  check_status(H5Awrite(a, type, &p), obj_name(obj), "cannot write attribute " + name);
}

void set_attr_strings(hid_t obj, const std::string& name, const std::vector<std::string>& values) {
  Handle type = utf8_string_type();
  hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle a = create_attr(obj, name, type, space);
  std::vector<const char*> ptrs;
  for (auto& v : values) ptrs.push_back(v.c_str());
  check_status(H5Awrite(a, type, ptrs.data()), obj_name(obj), "cannot write attribute " + name);
}

void set_attr_int(hid_t obj, const std::string& name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a = create_attr(obj, name, H5T_STD_I64LE, space);
  check_status(H5Awrite(a, H5T_NATIVE_INT64, &value), obj_name(obj), "cannot write attribute " + name);
}

void set_attr_ints(hid_t obj, const std::string& name, const std::vector<int64_t>& values) {
  hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle a = create_attr(obj, name, H5T_STD_I64LE, space);
  check_status(H5Awrite(a, H5T_NATIVE_INT64, values.data()), obj_name(obj), "cannot write attribute " + name);
}

void set_attr_double(hid_t obj, const std::string& name, double value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a = create_attr(obj, name, H5T_IEEE_F64LE, space);
  check_status(H5Awrite(a, H5T_NATIVE_DOUBLE, &value), obj_name(obj), "cannot write attribute " + name);
}

static Handle open_attr(hid_t obj, const std::string& name) {
  return check_id(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, obj_name(obj),
                  "missing attribute '" + name + "'");
}

// Values an attribute may hold: more is a damaged or hostile file (a
// dataspace can declare 2^64 values in a few bytes), refused before any
// buffer is sized from it. Real ones hold a few (class_names: one per class).
constexpr hssize_t kMaxAttrValues = hssize_t{1} << 24;

static hssize_t attr_count(hid_t a) {
  Handle space(H5Aget_space(a), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  if (n < 0 || n > kMaxAttrValues) {
    char name[256] = "?";
    H5Aget_name(a, sizeof name, name);
    throw Error(file_of(a), "attribute '" + std::string(name) + "' declares " + std::to_string(n) +
                                " values, over the " + std::to_string(kMaxAttrValues) + " sslkit reads");
  }
  return n;
}

std::vector<std::string> attr_strings(hid_t obj, const std::string& name) {
  CpuDeadline deadline(file_of(obj));
  Handle a = open_attr(obj, name);
  Handle ftype(H5Aget_type(a), H5Tclose);
  if (H5Tget_class(ftype) != H5T_STRING)
    throw Error(obj_name(obj), "attribute '" + name + "' is not a string");
  hssize_t n = attr_count(a);
  std::vector<std::string> out;
  if (H5Tis_variable_str(ftype) > 0) {
    Handle mtype = utf8_string_type();
    std::vector<char*> ptrs(n, nullptr);
    check_status(H5Aread(a, mtype, ptrs.data()), obj_name(obj), "cannot read attribute " + name);
    for (auto* p : ptrs) out.emplace_back(p ? p : "");
    Handle space(H5Aget_space(a), H5Sclose);
    H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, ptrs.data());
  } else {
    size_t len = H5Tget_size(ftype);
    std::vector<char> buf(len * n + 1, '\0');
    Handle mtype(H5Tcopy(ftype), H5Tclose);
    check_status(H5Aread(a, mtype, buf.data()), obj_name(obj), "cannot read attribute " + name);
    for (hssize_t i = 0; i < n; ++i) {
      std::string s(buf.data() + i * len, len);
      s.resize(std::strlen(s.c_str()));
      out.push_back(s);
    }
  }
  return out;
}

std::string attr_string(hid_t obj, const std::string& name) {
  auto v = attr_strings(obj, name);
  if (v.size() != 1) throw Error(obj_name(obj), "attribute '" + name + "' is not a single string");
  return v[0];
}

std::vector<int64_t> attr_ints(hid_t obj, const std::string& name) {
  CpuDeadline deadline(file_of(obj));
  Handle a = open_attr(obj, name);
  Handle ftype(H5Aget_type(a), H5Tclose);
  if (H5Tget_class(ftype) != H5T_INTEGER)
    throw Error(obj_name(obj), "attribute '" + name + "' is not an integer");
  std::vector<int64_t> out(attr_count(a));
  check_status(H5Aread(a, H5T_NATIVE_INT64, out.data()), obj_name(obj), "cannot read attribute " + name);
  return out;
}

int64_t attr_int(hid_t obj, const std::string& name) {
  auto v = attr_ints(obj, name);
  if (v.size() != 1) throw Error(obj_name(obj), "attribute '" + name + "' is not a single integer");
  return v[0];
}

double attr_double(hid_t obj, const std::string& name) {
  CpuDeadline deadline(file_of(obj));
  Handle a = open_attr(obj, name);
  Handle ftype(H5Aget_type(a), H5Tclose);
  auto c = H5Tget_class(ftype);
  if ((c != H5T_FLOAT && c != H5T_INTEGER) || attr_count(a) != 1)
    throw Error(obj_name(obj), "attribute '" + name + "' is not a number");
  double v = 0;
  check_status(H5Aread(a, H5T_NATIVE_DOUBLE, &v), obj_name(obj), "cannot read attribute " + name);
  return v;
}

std::vector<std::string> attr_names(hid_t obj) {
  CpuDeadline deadline(file_of(obj));
  std::vector<std::string> names;
  H5O_info_t info;
  if (H5Oget_info2(obj, &info, H5O_INFO_NUM_ATTRS) < 0) return names;
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    char buf[256];
    ssize_t n = H5Aget_name_by_idx(obj, ".", H5_INDEX_NAME, H5_ITER_INC, i, buf, sizeof buf, H5P_DEFAULT);
    if (n > 0) names.emplace_back(buf);
  }
  return names;
}

std::string attr_to_text(hid_t obj, const std::string& name) {
  CpuDeadline deadline(file_of(obj));
  Handle a = open_attr(obj, name);
  Handle ftype(H5Aget_type(a), H5Tclose);
  hssize_t n = attr_count(a);
  std::ostringstream os;
  auto c = H5Tget_class(ftype);
  // A long string is shown by its start and its length: one attribute of
  // megabytes must not flood the terminal.
  auto put = [&](const auto& x, bool quote) {
    if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) {
      if (x.size() > 200) {
        os << '"' << x.substr(0, 200) << "\"... (" << x.size() << " bytes)";
        return;
      }
    }
    if (quote) os << '"' << x << '"'; else os << x;
  };
  auto join = [&](auto const& v, bool quote) {
    if (v.size() == 1 && n == 1) { put(v[0], quote); return; }
    os << '[';
    for (size_t i = 0; i < v.size() && i < 16; ++i) {
      if (i) os << ", ";
      put(v[i], quote);
    }
    if (v.size() > 16) os << ", ... (" << v.size() << ")";
    os << ']';
  };
  if (c == H5T_STRING) join(attr_strings(obj, name), true);
  else if (c == H5T_INTEGER) join(attr_ints(obj, name), false);
  else if (c == H5T_FLOAT) {
    std::vector<double> v(n);
    H5Aread(a, H5T_NATIVE_DOUBLE, v.data());
    join(v, false);
  } else os << "<" << type_text(ftype) << ">";
  return os.str();
}

DatasetInfo describe_dataset(hid_t dset, const std::string& name) {
  CpuDeadline deadline(file_of(dset));
  DatasetInfo info;
  info.name = name;
  Handle type(H5Dget_type(dset), H5Tclose);
  info.dtype = classify(type);
  info.type_text = type_text(type);
  Handle space(H5Dget_space(dset), H5Sclose);
  int rank = H5Sget_simple_extent_ndims(space);
  if (rank > 0) {
    info.shape.resize(rank);
    H5Sget_simple_extent_dims(space, info.shape.data(), nullptr);
  }
  Handle dcpl(H5Dget_create_plist(dset), H5Pclose);
  if (H5Pget_layout(dcpl) == H5D_CHUNKED && rank > 0) {
    info.chunk.resize(rank);
    H5Pget_chunk(dcpl, rank, info.chunk.data());
  }
  int nf = H5Pget_nfilters(dcpl);
  for (int i = 0; i < nf; ++i) {
    unsigned flags = 0, cd[8];
    size_t ncd = 8;
    char fname[64] = {0};
    H5Z_filter_t f = H5Pget_filter2(dcpl, i, &flags, &ncd, cd, sizeof fname, fname, nullptr);
    if (!info.filters.empty()) info.filters += ",";
    if (f == H5Z_FILTER_DEFLATE) info.filters += "deflate(" + std::to_string(ncd ? cd[0] : 0) + ")";
    else if (f == H5Z_FILTER_SHUFFLE) info.filters += "shuffle";
    else if (f == H5Z_FILTER_FLETCHER32) info.filters += "fletcher32";
    else info.filters += fname[0] ? fname : "filter";
  }
  return info;
}

hsize_t stored_rows(hid_t dset, const DatasetInfo& i, size_t element_size, const std::string& subject) {
  if (i.shape.empty() || i.shape[0] == 0) return i.shape.empty() ? 0 : i.shape[0];
  hsize_t declared = 1;
  for (auto d : i.shape) declared *= d;
  if (!i.chunk.empty()) {
    hsize_t chunks_per_row_block = 1;
    for (size_t k = 1; k < i.shape.size(); ++k) chunks_per_row_block *= (i.shape[k] + i.chunk[k] - 1) / i.chunk[k];
    const hsize_t want = (i.shape[0] + i.chunk[0] - 1) / i.chunk[0] * chunks_per_row_block;
    hsize_t have = 0;
    Handle space(H5Dget_space(dset), H5Sclose);
    if (H5Dget_num_chunks(dset, space, &have) < 0) throw Error(subject, i.name + ": cannot count its chunks");
    return have >= want ? i.shape[0] : have / chunks_per_row_block * i.chunk[0];
  }
  const hsize_t elem = std::max<size_t>(1, element_size);
  const hsize_t stored = H5Dget_storage_size(dset);
  Handle dcpl(H5Dget_create_plist(dset), H5Pclose);
  if (i.dtype == DType::str || H5Pget_layout(dcpl) == H5D_COMPACT || stored >= declared * elem) return i.shape[0];
  return stored / (declared / i.shape[0] * elem);
}

static Handle row_selection(hid_t dset, size_t start, size_t count, Handle& memspace, const std::string& subject) {
  Handle space = check_id(H5Dget_space(dset), H5Sclose, subject, "cannot get dataspace");
  int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(rank), offset(rank, 0), cnt(rank);
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  if (rank == 0 || start + count > dims[0])
    throw Error(subject, "rows " + std::to_string(start) + ".." + std::to_string(start + count) + " out of range");
  cnt = dims;
  offset[0] = start;
  cnt[0] = count;
  check_status(H5Sselect_hyperslab(space, H5S_SELECT_SET, offset.data(), nullptr, cnt.data(), nullptr), subject,
               "cannot select rows");
  memspace = Handle(H5Screate_simple(rank, cnt.data(), nullptr), H5Sclose);
  return space;
}

void read_rows(hid_t dset, DType t, size_t start, size_t count, void* out, const std::string& subject) {
  if (count == 0) return;
  CpuDeadline deadline(subject);
  Handle mem;
  Handle space = row_selection(dset, start, count, mem, subject);
  check_status(H5Dread(dset, native_type(t), mem, space, H5P_DEFAULT, out), subject,
               "read failed (truncated or corrupt file?)");
}

void read_row_set(hid_t dset, DType t, const std::vector<size_t>& rows, void* out, const std::string& subject) {
  if (rows.empty()) return;
  CpuDeadline deadline(subject);
  Handle space = check_id(H5Dget_space(dset), H5Sclose, subject, "cannot get dataspace");
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(rank);
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  size_t row_bytes = dtype_size(t);
  for (int k = 1; k < rank; ++k) row_bytes *= dims[k];
  std::vector<hsize_t> offset(rank, 0), count = dims;
  // One read per run of consecutive rows. (A union of hyperslabs in one read
  // was measured slower: HDF5 1.10 spends its time building the selection.)
  for (size_t i = 0; i < rows.size();) {
    size_t j = i + 1;
    while (j < rows.size() && rows[j] == rows[j - 1] + 1) ++j;
    if (rows[j - 1] >= dims[0]) throw Error(subject, "row " + std::to_string(rows[j - 1]) + " out of range");
    offset[0] = rows[i];
    count[0] = j - i;
    check_status(H5Sselect_hyperslab(space, H5S_SELECT_SET, offset.data(), nullptr, count.data(), nullptr), subject,
                 "cannot select rows");
    Handle mem(H5Screate_simple(rank, count.data(), nullptr), H5Sclose);
    check_status(H5Dread(dset, native_type(t), mem, space, H5P_DEFAULT, static_cast<char*>(out) + i * row_bytes),
                 subject, "read failed (truncated or corrupt file?)");
    i = j;
  }
}

void write_rows(hid_t dset, DType t, size_t start, size_t count, const void* data, const std::string& subject) {
  if (count == 0) return;
  Handle mem;
  Handle space = row_selection(dset, start, count, mem, subject);
  check_status(H5Dwrite(dset, native_type(t), mem, space, H5P_DEFAULT, data), subject, "write failed");
}

void write_strings(hid_t loc, const std::string& name, const std::vector<std::string>& values) {
  Handle type = utf8_string_type();
  hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_obj_track_times(dcpl, 0);
  Handle d = check_id(H5Dcreate2(loc, name.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose,
                      name, "cannot create dataset");
  std::vector<const char*> ptrs;
  for (auto& v : values) ptrs.push_back(v.c_str());
  if (n) check_status(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), name, "write failed");
  check_status(d.close(), name, "write failed");
}

// libhdf5 follows each stored string's global heap reference on trust
// (io/checked_driver.hpp): where the references can be read raw (a
// contiguous dataset), they are checked first.
static void check_vlen_references(hid_t dset, hssize_t n, const std::string& subject) {
  Handle dcpl(H5Dget_create_plist(dset), H5Pclose);
  if (!dcpl.valid() || H5Pget_layout(dcpl) != H5D_CONTIGUOUS) return;
  const haddr_t offset = H5Dget_offset(dset);
  if (offset == HADDR_UNDEF) return;  // nothing stored: HDF5 reads fill values
  Handle file(H5Iget_file_id(dset), H5Fclose);
  Handle fcpl(H5Fget_create_plist(file), H5Pclose);
  size_t offset_size = 8, length_size = 8;
  hsize_t user_block = 0;
  H5Pget_sizes(fcpl, &offset_size, &length_size);
  H5Pget_userblock(fcpl, &user_block);
  const VlenLayout layout{static_cast<unsigned>(offset_size), static_cast<unsigned>(length_size), user_block};
  const std::string problem = vlen_references_problem(file_of(dset), layout, offset, static_cast<size_t>(n));
  if (!problem.empty()) throw Error(subject, problem);
}

std::vector<std::string> read_strings(hid_t dset, const std::string& subject) {
  CpuDeadline deadline(subject);
  Handle ftype(H5Dget_type(dset), H5Tclose);
  if (H5Tget_class(ftype) != H5T_STRING) throw Error(subject, "expected strings");
  Handle space(H5Dget_space(dset), H5Sclose);
  hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<std::string> out;
  if (n <= 0) return out;
  if (H5Tis_variable_str(ftype) > 0) {
    check_vlen_references(dset, n, subject);
    Handle mtype = utf8_string_type();
    std::vector<char*> ptrs(n, nullptr);
    check_status(H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), subject, "read failed");
    for (auto* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, ptrs.data());
  } else {
    size_t len = H5Tget_size(ftype);
    std::vector<char> buf(len * n);
    Handle mtype(H5Tcopy(ftype), H5Tclose);
    check_status(H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), subject, "read failed");
    for (hssize_t i = 0; i < n; ++i) {
      std::string s(buf.data() + i * len, len);
      s.resize(std::strlen(s.c_str()));
      out.push_back(s);
    }
  }
  return out;
}

}  // namespace sslkit::io
