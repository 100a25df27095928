// Saving and loading a module (and optionally optimizer state, step and
// training series) as an sslkit model file. Values are stored as float32, which is
// what the master weights are, so a round trip is bit-exact.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "io/files.hpp"
#include "nn/module.hpp"

namespace sslkit::train {

struct CheckpointExtras {
  std::string config = "{}";                                  // JSON
  std::vector<std::pair<std::string, nn::Tensor*>> optimizer;   // named optimizer state
  int64_t step = 0, epoch = 0;
  double seconds = 0;                                          // of training so far (a time budget resumes from it)
  std::vector<float> loss, lr;                                 // per-step series
  // Further series under /train by name (held-out evaluation: its steps,
  // masked accuracy and perplexity), saved and restored whole.
  std::map<std::string, std::vector<float>> series;
  std::vector<uint8_t> tokenizer;                              // text models: /tokenizer, to decode on their own
  std::vector<std::string> history;
};

// Commit::now for checkpoints of a run in progress (they must outlive a
// later failure); the default appears with the run's other outputs.
void save_checkpoint(const std::string& path, nn::Module& model, const CheckpointExtras& extras,
                     io::Commit when = io::Commit::with_run);
// Module indices (MoCo's queue pointer) go to /state/<path> as int64; a
// model file from before keeps them as float32 buffers, read and checked
// to be a whole number in range.
// Loads parameters, buffers and indices into `model` (names and shapes must match;
// a buffer or index the file lacks, written before that state existed, keeps
// the model's value, with a warning when resuming) and fills `extras` (optimizer tensors must already exist with the right
// shapes; they are overwritten). Returns the config JSON.
std::string load_checkpoint(const std::string& path, nn::Module& model, CheckpointExtras* extras = nullptr);
// Loads only the parameters and buffers stored under `prefix` (e.g. a
// pretrained method's "encoder.") into `part`.
void load_checkpoint_part(const std::string& path, const std::string& prefix, nn::Module& part);
// Loads the parameters and buffers of `model` whose names begin with
// `prefix` (a fine-tuned text model's "text_encoder." from a pretrained one).
void load_checkpoint_prefix(const std::string& path, const std::string& prefix, nn::Module& model);

}  // namespace sslkit::train
