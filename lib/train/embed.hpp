// ssl-embed's logic: a trained encoder over an image file, in batches,
// without a tape, writing /embeddings with ids and labels carried over.
#pragma once
#include <functional>
#include <string>

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

void run_embed(const EmbedOptions& opts);

// The encoder (and optionally projector) of `m` over every image of `in`,
// `batch` at a time, without a tape; fn(embeddings [n,D] f32, first row, n).
void embed_batches(methods::Method& m, float mean, float stdev, const io::DataReader& in, const std::string& layer,
                   bool normalize, nn::DType dt, int batch,
                   const std::function<void(const nn::Tensor&, int64_t, int64_t)>& fn);

// The audio encoder of `m` over every clip of `in` (/audio, /lengths),
// `batch` at a time, without a tape: fn(embeddings [n, W] f32, first row,
// n) with W the width (the mean over each clip's real frames), or frames x
// width with `frames` (every frame; padding frames too). frames_per_clip
// (frames a clip makes with `frames`, else 0) and valid_frames (appended,
// per clip) when given.
void embed_audio(methods::Method& m, const io::DataReader& in, bool frames, bool normalize, nn::DType dt, int batch,
                 const std::function<void(const nn::Tensor&, int64_t, int64_t)>& fn, int64_t* frames_per_clip = nullptr,
                 std::vector<int32_t>* valid_frames = nullptr);

// A model's backbone features for a labelled file, in memory (what
// ssl-finetune --model evaluates without an embeddings file in between).
// `model` names the model file in messages; `pool` as ssl-embed's (empty:
// the model's own).
eval::Features embed_features(TrainedModel& t, const std::string& model, const io::DataReader& in,
                              const std::string& precision, const std::string& pool = "");

}  // namespace sslkit::train
