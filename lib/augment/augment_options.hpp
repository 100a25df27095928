// ssl-augment's options: one table (a row per option: flag, type, range,
// help, the files and recipes it goes with) registered by the tool, and one
// pure function that turns the options given into the run's options,
// refusing an option the run would not read (exit 2, naming it and why).
// Which options apply depends on the input's modality, so the resolver is
// called once the file is open (augment/augment_file), with its facts.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/option_spec.hpp"

namespace sslkit::augment {

struct AugmentOptions {
  std::string input, output;
  std::string recipe;        // the recipe run: the modality's own (simclr for images, audio for audio) unless given
  int views = 0;            // 0 = the recipe's default (2; 4 for rotation; 1 with apply)
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

// What decides whether an option applies: the input's modality ("image",
// "audio"), its name for the messages, and the recipe the run uses.
struct AugmentFacts {
  std::string modality;
  std::string file;
  std::string recipe;
  const nlohmann::ordered_json& given;  // by flag
};
using AugmentRow = OptionRule<AugmentFacts>;

const std::vector<AugmentRow>& augment_options();
std::vector<OptionSpec> augment_option_specs();

// The recipe a run uses: --recipe, else the modality's own.
std::string augment_recipe(const nlohmann::ordered_json& given, const std::string& modality);

// Options given (by flag) for an input of `modality` named `file` -> what
// the run reads (the files, seed and command line are the tool's);
// UsageError for an option that does not apply.
AugmentOptions resolve_augment(const nlohmann::ordered_json& given, const std::string& modality,
                               const std::string& file);

}  // namespace sslkit::augment
