// The part of ssl-import every modality shares: which samples go where
// (--limit, --shuffle, --split stratified by label), batched writing with
// progress, labels and ids, and atomic commit of every output together.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/data_file.hpp"
#include "io/shard.hpp"

namespace sslkit::data {

struct ImportOptions {
  std::string output;           // -o
  std::string split_output;     // --split-output
  double split = 0;             // fraction held out into split_output
  size_t limit = 0;             // 0 = all
  bool shuffle = false;
  uint64_t seed = 0;
  bool compress = false;        // deflate-1 on the sample datasets
  io::ShardSpec shard;          // --shard I/K: this part of the samples (after --limit)
  std::string command_line;     // recorded in /history
};

// Which source samples go to the main output and which to the held-out one,
// in the order they are written. Held-out samples are drawn per class
// (round(split * count), at least one where a class has two or more samples
// and split > 0) so both parts keep the label mix.
struct SampleOrder {
  std::vector<size_t> main, held_out;
};
SampleOrder plan_order(size_t n, const std::vector<int32_t>& labels, const ImportOptions& opts);

// A source of samples for one modality.
class ImportSource {
 public:
  virtual ~ImportSource() = default;
  virtual io::Modality modality() const = 0;
  virtual std::string name() const = 0;                  // for messages
  virtual size_t size() const = 0;
  virtual const std::vector<int32_t>& labels() const = 0;  // -1 = unlabeled
  virtual std::vector<std::string> class_names() const = 0;
  virtual int64_t id(size_t i) const { return static_cast<int64_t>(i); }
  // Creates the modality's datasets and attributes in a new output.
  virtual void prepare(io::DataWriter& out) = 0;
  // Writes samples `indices` (source order numbers) to `out`; returns which
  // were written (false = skipped as unreadable, only when skipping is on).
  virtual std::vector<bool> write_batch(io::DataWriter& out, const std::vector<size_t>& indices) = 0;
  // How many samples write_batch skipped so far.
  virtual size_t skipped() const { return 0; }
};

// Usage errors in the split options (--split without --split-output and the
// reverse); checked before any input is read.
void check_outputs(const ImportOptions& opts);

// Runs the whole import. Returns the number of samples written per output.
std::vector<size_t> run_import(ImportSource& source, const ImportOptions& opts);

}  // namespace sslkit::data
