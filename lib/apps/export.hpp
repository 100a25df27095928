// ssl-export's logic: a trained model's encoder written as a directory that
// another library loads (docs/tools.md "ssl-export"; the name maps come from
// /work/shared/notes/interop.md section 2): safetensors under torchvision,
// timm or Hugging Face names with the config files their loaders read, or
// the model's tensors as they are.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/option_spec.hpp"

namespace sslkit::io {
class OutputDir;
}

namespace sslkit::train {

struct ExportOptions {
  std::string model, output;  // the model file; the directory to write
  std::string to;             // torchvision, timm, hf or safetensors
  bool force = false;         // replace a non-empty output directory
};

std::vector<OptionSpec> export_option_specs();
ExportOptions resolve_export(const nlohmann::ordered_json& given);

// Writes the directory whole or not at all; a usage error naming the model
// and the target when the target does not fit the model's encoder.
void run_export(const ExportOptions& opts);

// A text model's tokenizer beside the exported weights, as its own library
// reads it: SentencePiece's serialized model as tokenizer.model, a WordPiece
// vocabulary as vocab.txt with its flags in tokenizer_config.json (what
// BertTokenizer.from_pretrained reads). Returns the file name of the ids'
// tokenizer for READMEs. `subject` names the model in errors.
std::string write_tokenizer_files(io::OutputDir& out, const std::vector<uint8_t>& bytes, const std::string& subject);

// The targets and what each fits, one line each (--help, refusals).
const std::vector<std::pair<std::string, std::string>>& export_targets();

}  // namespace sslkit::train
