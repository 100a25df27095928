// ssl-augment's logic: read an image or audio file, write its augmented
// views (streamed in chunks, parallel across samples, deterministic per
// (seed, sample id, view) whatever the thread count or chunk size). With
// `apply`, an audio file's one view replaces each clip instead, so the
// output is a plain audio file: how noisy or quiet data sets are made.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "augment/augment_options.hpp"

namespace sslkit::augment {

// The run as the tool hands it over: the files, the seed, the command line
// and the table's options as given, resolved (augment_options) once the
// input is open and its modality known.
struct AugmentRequest {
  std::string input, output;
  uint64_t seed = 0;
  std::string command_line;
  nlohmann::ordered_json given;  // by flag
};

void run_augment(const AugmentRequest& request);

}  // namespace sslkit::augment
