#include "io/join_shards.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "io/data_file.hpp"
#include "io/row_copy.hpp"

namespace sslkit::io {

namespace {

// Everything a shard must share with the first one, as text: a difference
// is then named in one line.
std::string attrs_text(hid_t obj) {
  std::string s;
  for (const auto& a : attr_names(obj)) s += a + "=" + attr_to_text(obj, a) + ";";
  return s;
}

std::string shape_text(const std::vector<hsize_t>& shape, size_t from) {
  std::string s = "[N";
  for (size_t i = from; i < shape.size(); ++i) s += "," + std::to_string(shape[i]);
  return s + "]";
}

// What the join keeps of a shard between its check and its copy: not the
// open file, so that K shards cost the memory of one (HDF5 keeps caches
// per open file).
struct Shard {
  std::string path, name;
  size_t size = 0;
  int64_t first = 0, last = -1;  // ids; an empty shard has none
};

// The first and last id of a shard, checking in blocks that they increase.
Shard scan_ids(const std::string& path, const DataReader& in) {
  Shard s{path, in.name(), in.size()};
  int64_t prev = 0;
  for (size_t start = 0; start < s.size; start += 65536) {
    const auto ids = in.ids(start, std::min<size_t>(65536, s.size - start));
    for (size_t r = 0; r < ids.size(); ++r) {
      if (start + r > 0 && ids[r] <= prev)
        throw Error(in.name(), "/ids do not increase at row " + std::to_string(start + r) + " (" +
                                   std::to_string(prev) + " then " + std::to_string(ids[r]) +
                                   "): ssl-cat joins shards in id order, each shard sorted by id");
      prev = ids[r];
    }
  }
  if (s.size) {
    s.first = in.ids(0, 1)[0];
    s.last = prev;
  }
  return s;
}

void check_same_schema(const DataReader& a, const DataReader& b) {
  if (a.modality() != b.modality())
    throw Error(b.name(), std::string("is ") + modality_name(b.modality()) + " but " + a.name() + " is " +
                              modality_name(a.modality()) + ": not shards of one file");
  if (attrs_text(a.root()) != attrs_text(b.root()))
    throw Error(b.name(), "its root attributes differ from " + a.name() + "'s: not shards of one file");
  const auto da = a.datasets(), db = b.datasets();
  auto names = [](const std::vector<DatasetInfo>& v) {
    std::string s;
    for (const auto& d : v)
      if (d.name != "/history") s += (s.empty() ? "" : " ") + d.name;
    return s;
  };
  if (names(da) != names(db))
    throw Error(b.name(), "holds " + names(db) + " but " + a.name() + " holds " + names(da) +
                              ": not shards of one file");
  for (const auto& d : da) {
    if (d.name == "/history") continue;
    const DatasetInfo e = b.info(d.name);
    const bool rows = is_per_sample(d);
    if (d.dtype != e.dtype || (rows && shape_text(d.shape, 1) != shape_text(e.shape, 1)))
      throw Error(b.name(), d.name + " is " + e.type_text + " " + shape_text(e.shape, 1) + " but " + a.name() + "'s is " +
                                d.type_text + " " + shape_text(d.shape, 1) + ": not shards of one file");
    if (attrs_text(a.dataset(d.name)) != attrs_text(b.dataset(d.name)))
      throw Error(b.name(), d.name + "'s attributes (class names, tokenizer, sample rate, model) differ from " +
                                a.name() + "'s: not shards of one file");
    if (!rows && (d.shape != e.shape || a.read_all<uint8_t>(d.name) != b.read_all<uint8_t>(d.name)))
      throw Error(b.name(), d.name + " differs from " + a.name() + "'s: not shards of one file");
  }
}

}  // namespace

void join_shards(const JoinOptions& o) {
  if (o.inputs.empty()) throw UsageError("ssl-cat needs at least one input file");
  // The first input stays open to compare the others with; each other is
  // open only while it is checked.
  const DataReader ref(o.inputs[0], Access::once);
  std::vector<Shard> shards{scan_ids(o.inputs[0], ref)};
  for (size_t i = 1; i < o.inputs.size(); ++i) {
    const DataReader in(o.inputs[i], Access::once);
    check_same_schema(ref, in);
    shards.push_back(scan_ids(o.inputs[i], in));
  }
  // Empty shards (more shards than rows) hold nothing to place.
  std::stable_sort(shards.begin(), shards.end(), [](const Shard& a, const Shard& b) {
    if ((a.size == 0) != (b.size == 0)) return a.size == 0;
    return a.first < b.first;
  });
  const Shard* prev = nullptr;
  for (const auto& s : shards) {
    if (s.size == 0) continue;
    if (prev && s.first <= prev->last)
      throw Error(s.name, "ids " + std::to_string(s.first) + ".." + std::to_string(s.last) + " overlap " + prev->name +
                              "'s " + std::to_string(prev->first) + ".." + std::to_string(prev->last) +
                              " (the same shard given twice?)");
    if (prev && s.first != prev->last + 1 && !o.allow_gaps)
      throw Error(s.name, "ids " + std::to_string(prev->last + 1) + ".." + std::to_string(s.first - 1) +
                              " are missing between " + prev->name + " and this shard (a shard not "
                              "given?); --allow-gaps joins them anyway");
    prev = &s;
  }

  DataWriter out(o.output, ref.modality());
  const std::vector<DatasetInfo> rows = copy_schema(ref, out);
  std::vector<std::string> history;
  for (const auto& s : shards) {
    // Opened again (a piped input was spooled the first time): each shard is
    // read once, front to back, and closed before the next.
    const DataReader in(s.path, Access::once);
    if (in.size() != s.size) throw Error(in.name(), "changed while ssl-cat was reading it");
    if (&s == &shards[0]) history = in.history();
    append_rows(in, out, rows, 0, in.size());
  }
  history.insert(history.end(), o.history.begin(), o.history.end());
  out.set_history(history);
  out.commit();
}

}  // namespace sslkit::io
