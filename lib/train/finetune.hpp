// ssl-finetune --mode full: the whole encoder trained with a new linear
// head on labelled images, text or audio (a lower learning rate for the
// pretrained backbone), or the same encoder from random weights as the
// supervised baseline; evaluated on a test file and written as a model file
// ("supervised", "text-supervised") that ssl-embed and ssl-finetune read
// like any other. One path for every modality: what differs is the
// modality's (train/modality.hpp), which also refuses the options that do
// not apply to it.
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

eval::Metrics run_full_finetune(const FullFinetuneOptions& opts);

}  // namespace sslkit::train
