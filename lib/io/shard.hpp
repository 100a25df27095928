// `--shard I/K` of the batch tools: which contiguous part of the rows one
// job of K processes, so K jobs (a Slurm array, GNU parallel) cover a file
// and ssl-cat joins their outputs in id order.
#pragma once
#include <cstddef>
#include <memory>
#include <string>

namespace sslkit::io {

// Shard `index` of `count`, 0-based: what Slurm's --array=0-(K-1) gives in
// $SLURM_ARRAY_TASK_ID and an MPI rank is. count 1: the whole file.
struct ShardSpec {
  size_t index = 0, count = 1;
  bool whole() const { return count == 1; }
  // Rows [first, last) of n: contiguous, sizes differing by at most one.
  size_t first(size_t n) const { return index * n / count; }
  size_t last(size_t n) const { return (index + 1) * n / count; }
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// "I/K" -> spec; UsageError unless 0 <= I < K.
ShardSpec parse_shard(const std::string& text);
// The help of --shard, one text for every tool.
extern const char* const kShardHelp;

// The rows of one shard of a data file, as a data file of the same schema
// in $TMPDIR (removed with this object, or by a fatal signal): what a tool
// reads instead of the whole input, so it needs no change of its own.
// Error when the shard holds no rows (more shards than rows).
class ShardInput {
 public:
  ShardInput(const std::string& input, const ShardSpec& shard);
  ~ShardInput();
  ShardInput(const ShardInput&) = delete;
  ShardInput& operator=(const ShardInput&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace sslkit::io
