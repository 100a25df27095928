// ssl-mask's options: one table (a row per option: flag, type, range, help,
// the schemes it goes with) registered by the tool, and one pure function
// that turns the options given into the run's options, refusing an option
// the scheme does not read (exit 2, naming it and why). Refusals that need
// the file (a scheme on another modality, a --patch that does not divide
// the images) are made where the file is read (mask/mask_file).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/option_spec.hpp"
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
};

struct MaskFacts {
  std::string scheme;
  const nlohmann::ordered_json& given;  // by flag
};
using MaskRow = OptionRule<MaskFacts>;

const std::vector<MaskRow>& mask_options();
std::vector<OptionSpec> mask_option_specs();

// Options given (by flag) -> what the run reads (the files, seed and
// command line are the tool's); UsageError for an option the scheme does
// not read.
MaskOptions resolve_mask(const nlohmann::ordered_json& given);

}  // namespace sslkit::mask
