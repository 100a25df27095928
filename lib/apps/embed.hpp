// ssl-embed's logic: a trained encoder over a file of its modality (the
// features each modality gives: train/modality.hpp), in batches, without a
// tape, writing /embeddings with ids and labels carried over.
#pragma once
#include <functional>
#include <string>

#include <nlohmann/json.hpp>
#include <vector>

#include "core/option_spec.hpp"
#include "eval/probe.hpp"
#include "io/data_file.hpp"
#include "methods/method.hpp"
#include "train/trained_model.hpp"

namespace sslkit::train {

struct EmbedOptions {
  std::string model, input, output;
  std::string layer = "backbone";  // or projector (images)
  std::string pool;                // text: mean over real tokens (default) or cls (the first token);
                                   // vit: cls or mean of the patch tokens (default: the model's)
  bool normalize = false;
  bool frames = false;             // audio: one embedding per frame, [clips, frames, width], instead of the mean
  std::string format = "h5";       // h5, npy, csv
  int batch = 512;
  std::string precision = "auto";
  std::string command_line;
};

// ssl-embed's options, one table as ssl-pretrain's (a row per option);
// what applies to a model (--pool, --layer, --frames) the model's modality
// decides once it is loaded (train/modality.hpp).
std::vector<OptionSpec> embed_option_specs();
// Options given (by flag) -> the run's; UsageError for a pair the table
// refuses (--frames with --format csv).
EmbedOptions resolve_embed(const nlohmann::ordered_json& given);

void run_embed(const EmbedOptions& opts);

// A model's backbone features for a labelled file, in memory (what
// ssl-finetune --model evaluates without an embeddings file in between).
// `model` names the model file in messages; `pool` as ssl-embed's (empty:
// the model's own).
eval::Features embed_features(TrainedModel& t, const std::string& model, const io::DataReader& in,
                              const std::string& precision, const std::string& pool = "");

}  // namespace sslkit::train
