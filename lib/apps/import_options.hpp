// ssl-import's options: one table per source (idx, images, text, audio; a
// row per option: flag, type, range, help, what it goes with), the
// options every source shares last, registered on the source's
// subcommand; and one pure function that turns the options given into
// what the import reads, refusing an option the import would ignore (exit
// 2, naming it and why) before any input is read. In apps, not data: text's
// --max-len is bounded by what a text encoder takes (models).
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/option_spec.hpp"
#include "data/audio_source.hpp"
#include "data/idx_source.hpp"
#include "data/image_source.hpp"
#include "data/import.hpp"
#include "data/text_source.hpp"

namespace sslkit::data {

struct ImportFacts {
  const nlohmann::ordered_json& given;  // by flag
};
using ImportRow = OptionRule<ImportFacts>;

// The sources, one subcommand each: idx, images, text, audio, model.
const std::vector<std::string>& import_sources();
// `source`'s options, then the shared ones (--limit, --shuffle, --split,
// --split-output, --compress); text's input files are the tool's.
const std::vector<ImportRow>& import_options(const std::string& source);
std::vector<OptionSpec> import_option_specs(const std::string& source);

// What one import reads: the shared options and the source's own (only
// the one of `source` is filled).
struct ImportRun {
  std::string source;
  ImportOptions import;  // output, seed and command line are the tool's
  IdxImportOptions idx;
  ImageImportOptions images;
  TextImportOptions text;
  AudioImportOptions audio;
  std::string model_dir;  // model: the Hugging Face directory
};

// Options given (by flag) to `ssl-import SOURCE` -> the import; UsageError
// for an option it would ignore or a --split without its output.
ImportRun resolve_import(const std::string& source, const nlohmann::ordered_json& given);

}  // namespace sslkit::data
