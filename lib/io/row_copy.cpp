#include "io/row_copy.hpp"

#include <algorithm>

#include "io/cpu_deadline.hpp"

namespace sslkit::io {

namespace {

// Attributes copied as HDF5 stored them (type and shape), so the joined file
// carries the same bytes as the shards.
void copy_attrs(hid_t from, hid_t to, const std::string& out_name, const std::string& what) {
  CpuDeadline deadline(file_of(from));
  for (const auto& a : attr_names(from)) {
    Handle src = check_id(H5Aopen(from, a.c_str(), H5P_DEFAULT), H5Aclose, out_name, "cannot open attribute " + a);
    Handle type(H5Aget_type(src), H5Tclose), space(H5Aget_space(src), H5Sclose);
    std::vector<uint8_t> buf(H5Tget_size(type) * std::max<hssize_t>(1, H5Sget_simple_extent_npoints(space)));
    check_status(H5Aread(src, type, buf.data()), out_name, "cannot read attribute " + a + " of " + what);
    if (H5Aexists(to, a.c_str()) > 0) H5Adelete(to, a.c_str());
    Handle dst = check_id(H5Acreate2(to, a.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, out_name,
                          "cannot create attribute " + a + " of " + what);
    check_status(H5Awrite(dst, type, buf.data()), out_name, "cannot write attribute " + a + " of " + what);
    if (H5Tis_variable_str(type) > 0) H5Dvlen_reclaim(type, space, H5P_DEFAULT, buf.data());
  }
}

}  // namespace

bool is_per_sample(const DatasetInfo& d) {
  const DatasetRule* rule = find_rule(d.name);
  return rule && rule->per_sample;
}

std::vector<DatasetInfo> copy_schema(const DataReader& in, DataWriter& out) {
  copy_attrs(in.root(), out.root(), out.name(), "the root");
  std::vector<DatasetInfo> rows;
  for (const auto& d : in.datasets()) {
    if (d.name == "/history" || !is_per_sample(d)) continue;
    rows.push_back(d);
    std::vector<hsize_t> row_shape(d.shape.begin() + 1, d.shape.end());
    out.set_compression(!d.filters.empty());
    out.create(d.name, d.dtype, row_shape);
    copy_attrs(in.dataset(d.name), out.dataset(d.name), out.name(), d.name);
  }
  std::vector<std::string> skip{"/history"};
  for (const auto& d : rows) skip.push_back(d.name);
  out.copy_from(in, skip);
  // A file without /ids means ids 0..N-1: rows that move keep them written.
  if (std::none_of(rows.begin(), rows.end(), [](const DatasetInfo& d) { return d.name == "/ids"; })) {
    out.create("/ids", DType::i64, {});
    DatasetInfo ids;
    ids.name = "/ids";
    ids.dtype = DType::other;  // marks the ids append_rows computes
    rows.push_back(ids);
  }
  return rows;
}

void append_rows(const DataReader& in, DataWriter& out, const std::vector<DatasetInfo>& rows, size_t lo, size_t hi) {
  std::vector<uint8_t> block;
  for (const auto& d : rows) {
    if (d.dtype == DType::other) {
      for (size_t start = lo; start < hi; start += 65536) out.append("/ids", in.ids(start, std::min<size_t>(65536, hi - start)));
      continue;
    }
    size_t row_bytes = dtype_size(d.dtype);
    for (size_t k = 1; k < d.shape.size(); ++k) row_bytes *= d.shape[k];
    // Blocks of whole chunks of `in`, on its chunk boundaries: each chunk is
    // read (and decompressed) once, whatever its cache.
    const std::vector<hsize_t> chunk = in.info(d.name).chunk;
    const size_t chunk_rows = chunk.empty() ? 1 : std::max<size_t>(1, chunk[0]);
    const size_t per_block = std::max<size_t>(1, (1u << 20) / std::max<size_t>(1, row_bytes) / chunk_rows) * chunk_rows;
    // One buffer for every dataset: the old one is freed before a larger
    // one is made, so two never live at once.
    if (block.size() < per_block * row_bytes) {
      block = {};
      block.resize(per_block * row_bytes);
    }
    for (size_t start = lo; start < hi;) {
      const size_t count = std::min(hi, (start / per_block + 1) * per_block) - start;
      read_rows(in.dataset(d.name), d.dtype, start, count, block.data(), in.name() + ": " + d.name);
      out.append(d.name, block.data(), count);
      start += count;
    }
  }
}

}  // namespace sslkit::io
