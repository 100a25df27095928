#include "data/import.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "core/rng.hpp"

namespace sslkit::data {

SampleOrder plan_order(size_t n, const std::vector<int32_t>& labels, const ImportOptions& opts) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  Rng rng(opts.seed, 0x5eed5417);
  if (opts.shuffle) rng.shuffle(order);
  if (opts.limit && opts.limit < order.size()) {
    order.resize(opts.limit);
    // Without --shuffle the first `limit` samples are kept in source order.
  }
  SampleOrder out;
  if (opts.split <= 0) {
    out.main = std::move(order);
    return out;
  }
  // Stratified: per label, pick round(split * count) samples at random.
  std::map<int32_t, std::vector<size_t>> by_label;
  for (size_t pos = 0; pos < order.size(); ++pos) by_label[labels.empty() ? -1 : labels[order[pos]]].push_back(pos);
  std::vector<bool> held(order.size(), false);
  Rng split_rng(opts.seed, 0x5917);
  for (auto& [label, positions] : by_label) {
    size_t k = static_cast<size_t>(std::llround(opts.split * positions.size()));
    if (k == 0 && positions.size() >= 2 && label >= 0) k = 1;
    if (k >= positions.size() && positions.size() >= 2) k = positions.size() - 1;
    if (k > positions.size()) k = positions.size();
    // Partial Fisher-Yates: the first k of a random permutation.
    for (size_t i = 0; i < k; ++i) std::swap(positions[i], positions[i + split_rng.below(positions.size() - i)]);
    for (size_t i = 0; i < k; ++i) held[positions[i]] = true;
  }
  for (size_t pos = 0; pos < order.size(); ++pos) (held[pos] ? out.held_out : out.main).push_back(order[pos]);
  return out;
}

void check_outputs(const ImportOptions& opts) {
  if (opts.split > 0 && opts.split_output.empty()) throw UsageError("--split needs --split-output FILE");
  if (opts.split <= 0 && !opts.split_output.empty()) throw UsageError("--split-output needs --split FRACTION");
}

std::vector<size_t> run_import(ImportSource& source, const ImportOptions& opts) {
  const size_t n = source.size();
  if (n == 0) throw Error(source.name(), "no samples found");
  check_outputs(opts);
  const auto& labels = source.labels();
  // In source order (no --shuffle, no --split: --shard refuses both) a
  // shard's samples are numbered alone, without an index of the whole input.
  const bool source_order = !opts.shuffle && opts.split <= 0;
  SampleOrder order;
  if (opts.shard.whole() || !source_order) order = plan_order(n, labels, opts);
  if (!opts.shard.whole()) {
    const size_t all = source_order ? (opts.limit ? std::min(n, opts.limit) : n) : order.main.size();
    const size_t lo = opts.shard.first(all), hi = opts.shard.last(all);
    if (lo == hi)
      throw Error(source.name(), "shard " + opts.shard.text() + " of its " + std::to_string(all) +
                                     " samples holds none (more shards than samples)");
    if (source_order) {
      order.main.resize(hi - lo);
      for (size_t i = lo; i < hi; ++i) order.main[i - lo] = i;
    } else {
      order.main = std::vector<size_t>(order.main.begin() + lo, order.main.begin() + hi);
    }
  }
  if (opts.split > 0 && order.held_out.empty())
    throw Error(source.name(), "--split " + std::to_string(opts.split) + " holds out no samples of " +
                                   std::to_string(order.main.size()));

  struct Part {
    std::string path;
    const std::vector<size_t>* indices;
    std::unique_ptr<io::DataWriter> writer;
  };
  std::vector<Part> parts;
  parts.push_back({opts.output, &order.main, nullptr});
  if (!opts.split_output.empty()) parts.push_back({opts.split_output, &order.held_out, nullptr});

  auto class_names = source.class_names();
  // Labels without names (IDX) are named by their values, so every labelled
  // file states its class count and readers can check labels against it.
  if (class_names.empty()) {
    int32_t top = -1;
    for (auto y : labels) top = std::max(top, y);
    for (int32_t c = 0; c <= top; ++c) class_names.push_back(std::to_string(c));
  }
  size_t total = order.main.size() + order.held_out.size();
  Progress progress("import", total, "samples");
  std::vector<size_t> written;
  for (auto& part : parts) {
    part.writer = std::make_unique<io::DataWriter>(part.path, source.modality());
    io::DataWriter& w = *part.writer;
    w.set_compression(opts.compress);
    source.prepare(w);
    w.create("/labels", io::DType::i32, {});
    w.create("/ids", io::DType::i64, {});
    if (!class_names.empty()) io::set_attr_strings(w.dataset("/labels"), "class_names", class_names);
    const size_t batch = 256;
    size_t count = 0;
    const auto& idx = *part.indices;
    for (size_t start = 0; start < idx.size(); start += batch) {
      std::vector<size_t> chunk(idx.begin() + start, idx.begin() + std::min(idx.size(), start + batch));
      std::vector<bool> ok = source.write_batch(w, chunk);
      std::vector<int32_t> lab;
      std::vector<int64_t> ids;
      for (size_t j = 0; j < chunk.size(); ++j) {
        if (!ok[j]) continue;
        lab.push_back(labels.empty() ? -1 : labels[chunk[j]]);
        ids.push_back(source.id(chunk[j]));
      }
      w.append("/labels", lab);
      w.append("/ids", ids);
      count += lab.size();
      progress.advance(chunk.size());
    }
    if (count == 0) throw Error(source.name(), "no readable samples left to write to " + w.name());
    w.set_history({opts.command_line});
    written.push_back(count);
  }
  progress.finish();
  if (source.skipped() > 0) warn("skipped " + std::to_string(source.skipped()) + " unreadable samples");
  // Commit only once every part is complete: a failure above leaves nothing.
  for (auto& part : parts) part.writer->commit();
  return written;
}

}  // namespace sslkit::data
