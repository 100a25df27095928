#include "io/shard.hpp"

#include "core/error.hpp"
#include "io/data_file.hpp"
#include "io/files.hpp"
#include "io/row_copy.hpp"

namespace sslkit::io {

const char* const kShardHelp =
    "Process only shard I of K (0-based: 0/4 .. 3/4, as Slurm's --array=0-3 numbers them): a contiguous part of "
    "the rows, written with their ids; ssl-cat joins the K outputs into the unsharded file";

ShardSpec parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  ShardSpec s;
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    size_t used = 0;
    const std::string i = text.substr(0, slash), k = text.substr(slash + 1);
    if (i.empty() || k.empty() || i[0] == '-' || k[0] == '-') throw std::invalid_argument("sign");
    s.index = std::stoull(i, &used);
    if (used != i.size()) throw std::invalid_argument("index");
    s.count = std::stoull(k, &used);
    if (used != k.size()) throw std::invalid_argument("count");
  } catch (const std::exception&) {
    throw UsageError("--shard: '" + text + "' is not I/K (shard I of K, 0-based, e.g. 0/4)");
  }
  if (s.count == 0 || s.index >= s.count)
    throw UsageError("--shard " + text + ": I must be 0.." + (s.count ? std::to_string(s.count - 1) : "K-1") +
                     " (0-based) and K at least 1");
  return s;
}

ShardInput::ShardInput(const std::string& input, const ShardSpec& shard) {
  // Only rows lo..hi are read, once each: no caches that grow with the file.
  DataReader in(input, Access::once);
  const size_t lo = shard.first(in.size()), hi = shard.last(in.size());
  if (lo == hi)
    throw Error(in.name(), "shard " + shard.text() + " of its " + std::to_string(in.size()) +
                               " rows holds none (more shards than rows)");
  // Messages about the shard name this temp file: its name says whose shard it is.
  const std::string base = input == "-" ? "stdin" : input.substr(input.find_last_of('/') + 1);
  path_ = make_temp(base + ".shard-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count));
  try {
    DataWriter out(path_, in.modality(), Commit::now);
    const auto rows = copy_schema(in, out);
    append_rows(in, out, rows, lo, hi);
    out.set_history(in.history());
    out.commit();
  } catch (...) {
    remove_temp(path_);
    throw;
  }
}

ShardInput::~ShardInput() { remove_temp(path_); }

}  // namespace sslkit::io
