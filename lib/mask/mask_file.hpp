// ssl-mask's logic: read a text, image or audio file, write it out whole
// with the masks of one scheme added (streamed in chunks, parallel across
// samples, deterministic per (seed, sample id) for any thread count), and
// show what the masks do.
#pragma once
#include <cstdint>
#include <set>
#include <string>

#include "mask/schemes.hpp"

namespace sslkit::mask {

struct MaskOptions {
  std::string input, output;
  std::string scheme;          // mlm (text), patch and block (images), span (audio)
  double ratio = -1;           // <0: the scheme's default (mlm 0.15, patch 0.75, block 0.4)
  MlmParams mlm;               // replace fractions, whole word
  int patch = 4;               // patch side in pixels (patch, block)
  BlockParams block;
  SpanParams span;
  int frame_samples = 320;     // audio samples per frame (span)
  uint64_t seed = 0;
  std::string preview;         // PNG: images with masked patches greyed, or waveforms with spans shaded
  int preview_count = 8;
  int show = 0;                // text: print this many samples with the masked pieces marked
  size_t chunk = 512;          // samples per chunk (does not change the output)
  std::string command_line;
  std::set<std::string> given;  // options on the command line ("--ratio"): each must be one the scheme reads
};

// The scheme options (--ratio, --span, ...) that `scheme` reads. Any other
// one on the command line is a usage error, never silently ignored.
const std::set<std::string>& scheme_options(const std::string& scheme);

void run_mask(const MaskOptions& opts);

}  // namespace sslkit::mask
