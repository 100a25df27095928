// ssl-embed's logic: a trained encoder over an image file, in batches,
// without a tape, writing /embeddings with ids and labels carried over.
#pragma once
#include <functional>
#include <string>

#include "eval/probe.hpp"
#include "io/data_file.hpp"
#include "methods/method.hpp"

namespace sslkit::train {

struct EmbedOptions {
  std::string model, input, output;
  std::string layer = "backbone";  // or projector (images)
  std::string pool;                // text: mean over real tokens (default) or cls (the first token);
                                   // vit: cls or mean of the patch tokens (default: the model's)
  bool normalize = false;
  std::string format = "h5";       // h5, npy, csv
  int batch = 512;
  std::string precision = "auto";
  std::string command_line;
};

void run_embed(const EmbedOptions& opts);

// The encoder (and optionally projector) of `m` over every image of `in`,
// `batch` at a time, without a tape; fn(embeddings [n,D] f32, first row, n).
void embed_batches(methods::Method& m, float mean, float stdev, const io::DataReader& in, const std::string& layer,
                   bool normalize, nn::DType dt, int batch,
                   const std::function<void(const nn::Tensor&, int64_t, int64_t)>& fn);

// A model's backbone features for a labelled image file, in memory (what
// ssl-finetune --model evaluates without an embeddings file in between).
// `pool` as ssl-embed's (empty: the model's own).
eval::Features embed_features(const std::string& model, const std::string& images, const std::string& precision,
                              const std::string& pool = "");

}  // namespace sslkit::train
