// Copying rows of a data file into a new one of the same schema, in blocks:
// what ssl-cat joins and --shard cuts with.
#pragma once
#include <vector>

#include "io/data_file.hpp"

namespace sslkit::io {

// Whether a dataset has one row per sample (its first axis is N).
bool is_per_sample(const DatasetInfo& d);

// Gives `out` everything of `in` but its rows: root attributes, the
// per-sample datasets (empty, with `in`'s dtype, row shape, compression and
// attributes) and the datasets that are not per sample (a tokenizer),
// whole. Returns the per-sample datasets, to pass to append_rows.
std::vector<DatasetInfo> copy_schema(const DataReader& in, DataWriter& out);

// Appends rows [lo, hi) of every dataset in `rows` from `in` to `out`, in
// blocks of about 4 MiB: memory stays flat whatever the file's size.
void append_rows(const DataReader& in, DataWriter& out, const std::vector<DatasetInfo>& rows, size_t lo, size_t hi);

}  // namespace sslkit::io
