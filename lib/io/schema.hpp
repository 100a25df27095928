// SSL-HDF5 version 1: what a data file must hold (docs/format.md is the
// normative text; this table is what the reader enforces).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "io/h5.hpp"

namespace sslkit::io {

constexpr const char* kFormatName = "sslkit";
constexpr const char* kModelFormatName = "sslkit-model";
constexpr int kFormatVersion = 1;
// The largest chunk a data file may have: a read decompresses whole chunks
// and keeps up to four, so this bounds a reader's memory whatever the file.
// Our writers chunk about 16 KiB (one row when a row is larger: 64 MiB is
// a 4,600 x 4,600 RGB image); h5py's automatic chunks stay under 1 MiB.
constexpr size_t kMaxChunkBytes = size_t{64} << 20;

enum class Modality { image, text, audio, embedding };
const char* modality_name(Modality m);
std::optional<Modality> parse_modality(const std::string& s);
// What messages say a file of `m` is: "holds images", "is a text file".
const char* modality_phrase(Modality m);

// One known dataset: its dtype, rank, whether its first axis is N (one row
// per sample) and a short description of its axes for messages.
struct DatasetRule {
  const char* name;   // "/images"
  DType dtype;
  int rank;
  bool per_sample;
  const char* axes;   // "[N,H,W,C]"
};
const std::vector<DatasetRule>& dataset_rules();
const DatasetRule* find_rule(const std::string& name);

// Datasets a file of this modality must have (any one of each inner list).
std::vector<std::vector<std::string>> required_datasets(Modality m);

}  // namespace sslkit::io
