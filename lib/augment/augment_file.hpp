// ssl-augment's logic: read an image or audio file, write its augmented
// views (streamed in chunks, parallel across samples, deterministic per
// (seed, sample id, view) whatever the thread count or chunk size). With
// `apply`, an audio file's one view replaces each clip instead, so the
// output is a plain audio file: how noisy or quiet data sets are made.
#pragma once
#include <cstdint>
#include <string>

namespace sslkit::augment {

struct AugmentOptions {
  std::string input, output;
  std::string recipe;        // empty: the modality's own (simclr for images, audio for audio)
  int views = 0;            // 0 = the recipe's default (2; 4 for rotation)
  double strength = 1.0;    // SimCLR color-jitter strength
  int size = 0;             // output side (images); 0 = the input's
  double seconds = 0;       // output length (audio); 0 = the input's
  uint64_t seed = 0;
  bool apply = false;       // audio: one view written as /audio in place of the original
  std::string preview;      // PNG: originals in the first column, views beside them
  int preview_count = 8;
  std::string command_line;
  size_t chunk = 256;       // samples per chunk (does not change the output)
};

void run_augment(const AugmentOptions& opts);

}  // namespace sslkit::augment
