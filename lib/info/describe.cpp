#include "info/describe.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "info/curves.hpp"
#include "train/modality.hpp"
#include "info/run_curves.hpp"
#include "io/data_file.hpp"
#include "io/cpu_deadline.hpp"
#include "io/model_file.hpp"

namespace sslkit::info {

using json = nlohmann::ordered_json;

namespace {

json shape_json(const std::vector<hsize_t>& v) {
  json a = json::array();
  for (auto d : v) a.push_back(d);
  return a;
}

std::string shape_text(const std::vector<hsize_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

json attrs_json(hid_t obj) {
  json a = json::object();
  for (auto& name : io::attr_names(obj)) {
    // Numbers and strings as themselves, arrays as arrays.
    std::string text = io::attr_to_text(obj, name);
    try {
      auto v = io::attr_strings(obj, name);
      a[name] = v.size() == 1 ? json(v[0]) : json(v);
      continue;
    } catch (const Error&) {
    }
    try {
      auto v = io::attr_ints(obj, name);
      a[name] = v.size() == 1 ? json(v[0]) : json(v);
      continue;
    } catch (const Error&) {
    }
    try {
      a[name] = io::attr_double(obj, name);
      continue;
    } catch (const Error&) {
    }
    a[name] = text;
  }
  return a;
}

// Label counts, read in batches so memory stays flat.
std::map<int32_t, size_t> count_labels(const io::DataReader& r) {
  std::map<int32_t, size_t> counts;
  if (!r.has("/labels")) {
    if (r.size()) counts[-1] = r.size();
    return counts;
  }
  const size_t batch = 1 << 16;
  std::vector<int32_t> buf(batch);
  for (size_t s = 0; s < r.size(); s += batch) {
    size_t n = std::min(batch, r.size() - s);
    r.read("/labels", s, n, buf.data());
    for (size_t i = 0; i < n; ++i) ++counts[buf[i]];
  }
  return counts;
}

json describe_data(const io::DataReader& r) {
  json j;
  j["file"] = r.name();
  j["format"] = io::kFormatName;
  j["format_version"] = io::kFormatVersion;
  j["modality"] = io::modality_name(r.modality());
  j["samples"] = r.size();
  j["attributes"] = attrs_json(r.root());
  json ds = json::array();
  for (auto& d : r.datasets()) {
    json e;
    e["name"] = d.name;
    e["dtype"] = d.type_text;
    e["shape"] = shape_json(d.shape);
    e["chunks"] = d.chunk.empty() ? json(nullptr) : shape_json(d.chunk);
    e["filters"] = d.filters;
    e["attributes"] = attrs_json(r.dataset(d.name));
    ds.push_back(e);
  }
  j["datasets"] = ds;
  auto names = r.class_names();
  json labels = json::array();
  for (auto& [label, count] : count_labels(r)) {
    json e;
    e["label"] = label;
    e["name"] = label < 0 ? json("(unlabeled)") : (label < static_cast<int32_t>(names.size()) ? json(names[label]) : json(nullptr));
    e["count"] = count;
    labels.push_back(e);
  }
  j["labels"] = labels;
  j["history"] = r.history();
  return j;
}

// Each group is listed once, at its first path: hard links can make a
// group its own descendant (a cycle), which recursion would follow forever.
void walk(hid_t loc, const std::string& path, json& out, std::set<haddr_t>& seen) {
  io::CpuDeadline deadline(io::file_of(loc));
  for (const std::string& link : io::link_names(loc)) {
    const char* buf = link.c_str();
    std::string child = path + "/" + buf;
    H5O_info_t info;
    if (H5Oget_info_by_name2(loc, buf, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) continue;
    if (info.type == H5O_TYPE_GROUP) {
      if (!seen.insert(info.addr).second) continue;
      io::Handle sub(H5Gopen2(loc, buf, H5P_DEFAULT), H5Gclose);
      if (sub.valid()) walk(sub, child, out, seen);
    } else if (info.type == H5O_TYPE_DATASET) {
      io::Handle d(H5Dopen2(loc, buf, H5P_DEFAULT), H5Dclose);
      if (!d.valid()) continue;
      auto di = io::describe_dataset(d, child);
      json e;
      e["name"] = child;
      e["dtype"] = di.type_text;
      e["shape"] = shape_json(di.shape);
      if (child == "/config" && di.dtype == io::DType::str) {
        auto v = io::read_strings(d, child);
        if (v.size() == 1) {
          try {
            e["value"] = json::parse(v[0]);
          } catch (const json::exception&) {
            e["value"] = v[0];
          }
        }
      }
      out.push_back(e);
    }
  }
}

json describe_other(hid_t file, const std::string& name, const std::string& format) {
  json j;
  j["file"] = name;
  j["format"] = format;
  j["attributes"] = attrs_json(file);
  json ds = json::array();
  std::set<haddr_t> seen;
  H5O_info_t root;
  if (H5Oget_info2(file, &root, H5O_INFO_BASIC) >= 0) seen.insert(root.addr);
  walk(file, "", ds, seen);
  j["datasets"] = ds;
  return j;
}

// What a person wants first of a model file: what was trained, on what,
// how far and how long. Read through io::ModelReader, the one model-file
// reader; a part the file lacks is left out of the summary.
json model_summary(const io::ModelReader& r) {
  json s = json::object();
  json config = json::parse(r.config(), nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) throw Error(r.name(), "/config is not JSON");
  for (const char* k : {"method", "arch", "precision"})
    if (config.contains(k)) s[k] = config[k];
  if (config.contains("data")) s["data"] = config["data"];
  if (config.contains("finetuned_from")) s["finetuned_from"] = config["finetuned_from"];
  const std::vector<std::string> params = r.names("params");
  if (!params.empty()) {
    int64_t stored = 0;
    for (const std::string& n : params) {
      int64_t count = 1;
      for (int64_t d : r.shape("params", n)) count *= d;
      stored += count;
    }
    // The model's size is what the optimizer trains; an EMA target (BYOL's,
    // MoCo's) is a second copy that follows it, reported apart. Files from
    // before /state/trained_parameters count everything they store.
    const int64_t trained = r.has("state", "trained_parameters") ? r.ints("trained_parameters").at(0) : stored;
    s["parameters"] = trained;
    if (stored > trained) s["ema_target_parameters"] = stored - trained;
  }
  auto state_int = [&](const char* key) -> json {
    if (!r.has("state", key)) return nullptr;
    const std::vector<int64_t> v = r.ints(key);
    return v.empty() ? json() : json(v[0]);
  };
  s["steps"] = state_int("step");
  s["epochs"] = state_int("epoch");
  json ms = state_int("milliseconds");
  if (!ms.is_null()) s["training_seconds"] = ms.get<int64_t>() / 1000.0;
  // The last value of a /train series, or null.
  auto last_of = [&](const char* name) -> json {
    const std::vector<float> v = r.series(name);
    return v.empty() ? json() : json(v.back());
  };
  if (json loss = last_of("loss"); !loss.is_null()) s["final_loss"] = loss;
  // Masked language models scored on held-out text (ssl-pretrain --eval-split/--eval).
  if (json acc = last_of("eval_accuracy"); !acc.is_null()) {
    s["held_out"] = {{"masked_accuracy", acc}, {"perplexity", last_of("eval_perplexity")}};
    if (config.contains("eval")) s["held_out"]["baseline"] = config["eval"];
  }
  return s;
}

void print_text(const json& j, std::ostream& out) {
  out << "file: " << j["file"].get<std::string>() << "\n";
  if (j.contains("summary")) {
    const json& s = j["summary"];
    auto show = [&](const char* label, const json& v) {
      if (v.is_null()) return;
      out << "  " << std::left << std::setw(16) << label << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
    };
    out << "model:\n";
    show("method", s.value("method", json()));
    show("encoder", s.value("arch", json()));
    show("parameters", s.value("parameters", json()));
    if (s.contains("ema_target_parameters"))
      show("EMA target", s["ema_target_parameters"].dump() + " (a moving average of the above, not trained)");
    show("precision", s.value("precision", json()));
    show("steps", s.value("steps", json()));
    show("epochs", s.value("epochs", json()));
    if (s.contains("final_loss")) {
      char l[32];
      std::snprintf(l, sizeof l, "%.4f", s["final_loss"].get<double>());
      show("final loss", l);
    }
    if (s.contains("held_out")) {
      const json& h = s["held_out"];
      char l[160];
      std::snprintf(l, sizeof l, "masked accuracy %.4f, perplexity %.1f", h["masked_accuracy"].get<double>(),
                    h["perplexity"].is_null() ? 0.0 : h["perplexity"].get<double>());
      std::string line = l;
      if (h.contains("baseline")) {
        std::snprintf(l, sizeof l, " (unigram %.4f, %.1f)", h["baseline"].value("unigram_accuracy", 0.0),
                      h["baseline"].value("unigram_perplexity", 0.0));
        line += l;
      }
      show("held out", line);
    }
    if (s.contains("training_seconds")) {
      char t[32];
      std::snprintf(t, sizeof t, "%.0f s", s["training_seconds"].get<double>());
      show("trained for", t);
    }
    if (s.contains("data"))
      show("trained on", json(s["data"].value("file", std::string("?")) + " (" +
                              std::to_string(s["data"].value("samples", 0)) + " samples)"));
    show("fine-tuned from", s.value("finetuned_from", json()));
  }
  if (j.contains("modality")) {
    out << "format: SSL-HDF5 version " << j["format_version"] << ", modality " << j["modality"].get<std::string>()
        << ", " << j["samples"] << " samples\n";
  } else {
    out << "format: " << j["format"].get<std::string>() << "\n";
  }
  // Long values are cut at 160 characters (--json has them whole): one
  // attribute of megabytes must not flood the terminal.
  const auto shown = [](const json& v) {
    std::string s = v.dump();
    return s.size() > 160 ? s.substr(0, 157) + "... (" + std::to_string(s.size()) + " characters)" : s;
  };
  out << "attributes:\n";
  for (auto& [k, v] : j["attributes"].items()) out << "  " << k << " = " << shown(v) << "\n";
  out << "datasets:\n";
  size_t width = 8;
  for (auto& d : j["datasets"]) width = std::max(width, d["name"].get<std::string>().size());
  for (auto& d : j["datasets"]) {
    std::vector<hsize_t> shape = d["shape"].get<std::vector<hsize_t>>();
    out << "  " << std::left << std::setw(width + 2) << d["name"].get<std::string>() << std::setw(9)
        << d["dtype"].get<std::string>() << std::setw(22) << shape_text(shape);
    if (d.contains("chunks") && !d["chunks"].is_null())
      out << "chunks " << shape_text(d["chunks"].get<std::vector<hsize_t>>());
    if (d.contains("filters") && !d["filters"].get<std::string>().empty())
      out << "  " << d["filters"].get<std::string>();
    out << "\n";
    if (d.contains("attributes"))
      for (auto& [k, v] : d["attributes"].items()) out << "      " << k << " = " << shown(v) << "\n";
    if (d.contains("value")) out << "      value = " << d["value"].dump() << "\n";
  }
  if (j.contains("labels")) {
    out << "labels:\n";
    for (auto& e : j["labels"]) {
      out << "  " << std::right << std::setw(6) << e["label"].get<int>() << "  " << std::left << std::setw(20)
          << (e["name"].is_null() ? std::string("") : e["name"].get<std::string>()) << std::right << std::setw(9)
          << e["count"].get<size_t>() << "\n";
    }
  }
  if (j.contains("verify"))
    out << "verify: read all " << j["verify"]["bytes_read"].get<size_t>()
        << (j["verify"].contains("datasets") ? " bytes of every dataset (checksums checked): ok\n"
                                             : " bytes of sample data: ok\n");
  if (j.contains("preview")) {
    out << "samples:\n";
    for (auto& t : j["preview"]) out << "  " << t.get<std::string>() << "\n";
  }
  if (j.contains("history")) {
    out << "history:\n";
    int k = 1;
    for (auto& h : j["history"]) out << "  " << k++ << ". " << h.get<std::string>() << "\n";
  }
}

// NaN and infinities are never data (every tool that writes floats refuses
// them): the first one found names its row and its place in the row.
void check_finite(const std::string& file, const io::DatasetInfo& d, const float* rows, size_t first_row, size_t n) {
  size_t row = 1;
  for (size_t k = 1; k < d.shape.size(); ++k) row *= d.shape[k];
  for (size_t i = 0; i < n * row; ++i) {
    if (std::isfinite(rows[i])) continue;
    std::string at;
    for (size_t k = d.shape.size() - 1, rest = i % row; k >= 1; --k) {
      at = std::to_string(rest % d.shape[k]) + (at.empty() ? "" : ", ") + at;
      rest /= d.shape[k];
    }
    throw Error(file, d.name + " holds " + (std::isnan(rows[i]) ? "NaN" : "an infinite value") + " at row " +
                          std::to_string(first_row + i / row) + (at.empty() ? "" : " [" + at + "]"));
  }
}

// Reads every per-sample dataset in batches of about 4 MiB, so a damaged
// chunk anywhere is found and memory stays flat however large the file; a
// float dataset must also be finite.
json verify_data(const io::DataReader& r) {
  json out = json::object();
  size_t total_bytes = 0;
  for (auto& d : r.datasets()) {
    const io::DatasetRule* rule = io::find_rule(d.name);
    if (!rule || !rule->per_sample || d.shape.empty()) continue;
    size_t row = io::dtype_size(d.dtype);
    for (size_t k = 1; k < d.shape.size(); ++k) row *= d.shape[k];
    size_t batch = std::max<size_t>(1, (4u << 20) / std::max<size_t>(1, row));
    std::vector<uint8_t> buf(batch * row);
    Progress progress("verify " + d.name, d.shape[0], "samples");
    for (size_t s = 0; s < d.shape[0]; s += batch) {
      size_t n = std::min(batch, static_cast<size_t>(d.shape[0]) - s);
      io::read_rows(r.dataset(d.name), d.dtype, s, n, buf.data(), r.name() + ": " + d.name);
      if (d.dtype == io::DType::f32) check_finite(r.name(), d, reinterpret_cast<const float*>(buf.data()), s, n);
      progress.advance(n);
    }
    progress.finish();
    total_bytes += row * d.shape[0];
  }
  out["ok"] = true;
  out["bytes_read"] = total_bytes;
  return out;
}

// A model file's --verify: every number of every dataset read, so a failed
// checksum or a damaged chunk anywhere is found, one dataset at a time.
json verify_model(hid_t file, const std::string& name) {
  struct Walk {
    std::string failure;
    size_t bytes = 0, datasets = 0;
  } w;
  const herr_t status = H5Ovisit2(
      file, H5_INDEX_NAME, H5_ITER_INC,
      [](hid_t root, const char* path, const H5O_info_t* info, void* data) -> herr_t {
        auto* w = static_cast<Walk*>(data);
        if (info->type != H5O_TYPE_DATASET) return 0;
        io::CpuDeadline deadline(io::file_of(root));
        io::Handle d(H5Dopen2(root, path, H5P_DEFAULT), H5Dclose);
        io::Handle type(H5Dget_type(d), H5Tclose);
        if (!d.valid() || !type.valid() || H5Tget_class(type) == H5T_STRING) return 0;
        io::Handle native(H5Tget_native_type(type, H5T_DIR_ASCEND), H5Tclose);
        io::Handle space(H5Dget_space(d), H5Sclose);
        io::DatasetInfo i;
        hsize_t stored = 0;
        try {
          i = io::describe_dataset(d, path);
          stored = i.shape.empty() ? 0 : io::stored_rows(d, i, H5Tget_size(native), path);
        } catch (const Error& e) {
          w->failure = e.what();
          return -1;
        }
        const int rank = static_cast<int>(i.shape.size());
        const std::vector<hsize_t>& dims = i.shape;
        const size_t points = static_cast<size_t>(std::max<hssize_t>(0, H5Sget_simple_extent_npoints(space)));
        const size_t bytes = points * H5Tget_size(native);
        // A tensor that declares more than it stores (a hand-made or damaged
        // file) is refused before any read: it could declare a terabyte.
        if (rank > 0 && stored < dims[0]) {
          w->failure = std::string(path) + ": declares " + std::to_string(points) +
                       " values but stores only part of them (a damaged or hand-made file)";
          return -1;
        }
        // Read in blocks of rows of about 16 MiB: memory stays bounded
        // whatever the tensor's size. A scalar is one block of everything.
        const size_t row_bytes = rank > 0 && dims[0] > 0 ? bytes / dims[0] : bytes;
        const hsize_t rows_per = rank > 0 ? std::max<hsize_t>(1, (16u << 20) / std::max<size_t>(1, row_bytes)) : 1;
        std::vector<uint8_t> buf;
        for (hsize_t at = 0; bytes && at < (rank > 0 ? dims[0] : 1); at += rows_per) {
          hid_t mem_space = H5S_ALL, file_space = H5S_ALL;
          io::Handle mem;
          buf.resize(rank > 0 ? std::min<hsize_t>(rows_per, dims[0] - at) * row_bytes : bytes);
          if (rank > 0) {
            std::vector<hsize_t> offset(rank, 0), count = dims;
            offset[0] = at;
            count[0] = std::min<hsize_t>(rows_per, dims[0] - at);
            H5Sselect_hyperslab(space, H5S_SELECT_SET, offset.data(), nullptr, count.data(), nullptr);
            mem = io::Handle(H5Screate_simple(rank, count.data(), nullptr), H5Sclose);
            mem_space = mem;
            file_space = space;
          }
          if (H5Dread(d, native, mem_space, file_space, H5P_DEFAULT, buf.data()) < 0) {
            // Asked before any other HDF5 call clears the error stack.
            w->failure = std::string(path) + (io::hdf5_error_mentions("Fletcher32")
                                                  ? ": checksum mismatch: the file is damaged"
                                                  : ": read failed (truncated or corrupt file?)");
            return -1;
          }
        }
        w->bytes += bytes;
        ++w->datasets;
        return 0;
      },
      &w, H5O_INFO_BASIC);
  if (!w.failure.empty()) throw Error(name, w.failure);
  if (status < 0) throw Error(name, "cannot walk the file's datasets (truncated or corrupt file?)");
  return {{"ok", true}, {"bytes_read", w.bytes}, {"datasets", w.datasets}};
}

}  // namespace

// What each log holds in a few lines, and every run's curves in the --preview PNG.
static void report_curves(const std::vector<RunCurves>& runs, const std::vector<bool>& logs, const InfoOptions& opts,
                          std::ostream& out);

void run_info(const InfoOptions& opts, std::ostream& out) {
  auto input = std::make_unique<io::InputFile>(opts.input);
  // A log piped in is known only once stdin is spooled: its first byte is '{'.
  if (opts.input == "-" && is_training_log(input->path())) {
    for (auto [given, option] : {std::pair{opts.json, "--json"}, std::pair{opts.verify, "--verify"},
                                 std::pair{opts.preview_count > 0, "--preview-count"}})
      if (given) throw UsageError(std::string(option) + " describes one data or model file, not a JSON log");
    const std::vector<RunCurves> runs = read_training_log(input->path(), input->name());
    return report_curves(runs, std::vector<bool>(runs.size(), true), opts, out);
  }
  io::Handle file = io::open_hdf5(input->path(), input->name());
  std::string format = io::file_format(file, input->name());
  json j;
  if (format == io::kFormatName) {
    if (!opts.references.empty())
      throw UsageError("--reference draws on training curves: give model files or JSON logs, not the data file " +
                       input->name());
    io::DataReader reader(std::move(input), std::move(file));
    j = describe_data(reader);
    if (opts.verify) j["verify"] = verify_data(reader);
    if (!opts.preview.empty()) {
      if (reader.modality() == io::Modality::embedding)
        throw UsageError("--preview is for image, audio and text files");
      auto texts = train::modality_for(reader.modality())
                       .preview(reader, opts.preview, opts.preview_count > 0 ? opts.preview_count : 64);
      if (!texts.empty()) j["preview"] = texts;
    }
  } else if (format == io::kModelFormatName) {
    // A model's preview is its training curves, which have no samples to count.
    if (opts.preview_count > 0)
      throw UsageError("--preview-count counts the samples of a data file's --preview or of --reconstruct; " +
                       input->name() + " is a model file");
    const io::ModelReader model(std::move(file), input->name());
    json summary = model_summary(model);
    // A model's preview is its training curves.
    if (!opts.preview.empty()) run_curves({input->path()}, opts, out);
    j = describe_other(model.root(), input->name(), format);
    j["summary"] = summary;
    if (opts.verify) j["verify"] = verify_model(model.root(), input->name());
  } else {
    throw Error(input->name(), "not an SSL-HDF5 file (root attribute 'format' is not \"sslkit\")");
  }
  if (opts.json) out << j.dump(2) << "\n";
  else print_text(j, out);
}

void run_curves(const std::vector<std::string>& inputs, const InfoOptions& opts, std::ostream& out) {
  for (const auto& r : opts.references) parse_reference(r);  // a bad one before any file is read
  // Every file read before anything is printed, so a bad one stops the run quietly.
  std::vector<RunCurves> runs;
  std::vector<bool> logs;
  for (const auto& path : inputs) {
    if (is_training_log(path)) {
      for (auto& r : read_training_log(path)) runs.push_back(std::move(r)), logs.push_back(true);
      continue;
    }
    const std::string stem = path == "-" ? "stdin" : std::filesystem::path(path).stem().string();
    runs.push_back(curves_of_model(io::ModelReader(path), stem));
    logs.push_back(false);
  }
  report_curves(runs, logs, opts, out);
}

static void report_curves(const std::vector<RunCurves>& runs, const std::vector<bool>& logs, const InfoOptions& opts,
                          std::ostream& out) {
  std::vector<Reference> refs;
  for (const auto& r : opts.references) refs.push_back(parse_reference(r));
  // What a log holds, as the model summary says it of a model file.
  for (size_t i = 0; i < runs.size(); ++i) {
    if (!logs[i]) continue;
    const RunCurves& r = runs[i];
    char line[200];
    std::snprintf(line, sizeof line, "steps %g-%g, loss %.4g -> %.4g", r.loss.x.front(), r.loss.x.back(),
                  r.loss.y.front(), r.loss.y.back());
    // Runs that appended to one log are told apart by their ids.
    const auto same_log = std::count_if(runs.begin(), runs.end(), [&](const RunCurves& o) { return o.source == r.source; });
    out << "log: " << r.source;
    if (same_log > 1) out << ", run " << (r.run_id.empty() ? std::string("without id") : r.run_id);
    out << "\n  " << line << "\n";
    for (auto [s, what] : {std::pair{&r.knn, "k=200, T=0.1"}, std::pair{&r.knn20, "k=20, T=0.07"}})
      if (!s->empty()) {
        std::snprintf(line, sizeof line, "--monitor kNN (%s): %zu scores, last %.4f at %.0f s", what, s->y.size(),
                      s->y.back(), s->x.back());
        out << "  " << line << "\n";
      }
  }
  if (!opts.preview.empty()) write_training_curves(runs, refs, opts.preview);
}

}  // namespace sslkit::info
