// What ssl-finetune --mode full is asked: the tool's options, read by the
// run (apps/finetune) and by each modality's plan of it (train/modality),
// which takes its defaults and refuses what does not apply.
#pragma once
#include <set>
#include <string>

#include "eval/probe.hpp"

namespace sslkit::train {

struct FullFinetuneOptions {
  eval::FinetuneOptions report;    // train/eval image files, model (empty: from scratch), label fraction, outputs
  std::string arch = "convnet-s";  // from scratch only; a model file brings its own (text: bert-mini unless told)
  double time_budget = 0;          // seconds of training instead of epochs (0: epochs)
  std::string output;              // the fine-tuned model file (optional)
  int epochs = 30, batch = 256;
  double lr = 1e-2, backbone_lr_scale = 0.1, weight_decay = 1e-4;
  std::string recipe = "crop(0.5,1) flip(0.5)";  // images
  double layer_decay = 0.75;       // vit: MAE's layer-wise lr decay (pretrained; 1 from scratch unless given)
  std::string pool;                // vit: "cls" or "mean" (default: the model's); text: mean (default) or cls
  std::string precision = "auto";
  std::string command_line;
  std::set<std::string> given;     // options given on the command line ("--batch"): text has its own defaults
};

}  // namespace sslkit::train
