// Joining the shards of one batch-tool run (`--shard I/K`) back into one data
// file, in id order: what ssl-cat does.
#pragma once
#include <string>
#include <vector>

namespace sslkit::io {

struct JoinOptions {
  std::string output;                 // "-" is stdout
  std::vector<std::string> inputs;    // any order: joined by their ids
  bool allow_gaps = false;            // ids missing between two shards are not an error
  std::vector<std::string> history;   // the joined file's /history ends with these
};

// Writes the rows of every input, inputs ordered by their first id. Each
// input's /ids must increase; the inputs must share modality, datasets (name,
// dtype, row shape), every attribute (class names, tokenizer, sample rate, the
// model that made embeddings) and every dataset that is not per sample; their
// id ranges must not overlap and, unless allow_gaps, must follow one another
// (the next shard's first id is the last one's plus one). Anything else is an
// Error naming the file, before the output is created. Rows are copied in
// blocks, one input open at a time, read once (Access::once), so memory
// stays flat whatever the size and number of the inputs.
void join_shards(const JoinOptions& o);

}  // namespace sslkit::io
