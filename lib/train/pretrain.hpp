// ssl-pretrain's logic: a method from the registry, image batches, and the
// one trainer (train/trainer) with its hooks: EMA targets, the loss
// history, the JSON log, the collapse monitor, checkpoints (periodic, final,
// on SIGINT/SIGTERM), and resume that continues one training.
#pragma once
#include <cstdint>
#include <set>
#include <string>

namespace sslkit::train {

struct PretrainOptions {
  std::string input, output;
  std::string method = "emp", arch = "convnet-s";  // emp: the fastest learner measured (docs/methods.md)
  std::string optimizer = "adamw";  // sgd, lars, adamw
  std::string precision = "auto";
  std::string recipe;               // default: the method's own (simclr, mocov2, byol)
  double strength = 0.5;            // color-jitter strength (0.5 for small images, as SimCLR's CIFAR runs)
  int epochs = 0;                   // 0: until --time-budget (or 10 epochs without one)
  double time_budget = 0;           // seconds of training
  int batch = 256;
  double lr = 1e-3, weight_decay = 1e-6, warmup = 0.05;  // warmup: fraction of training
  float temperature = 0.2f;
  int64_t checkpoint_every = 0;     // steps; 0 = only at the end
  std::string resume;               // a checkpoint to continue
  int64_t max_steps = 0;            // stop after this many steps of this run (0 = no limit); resume later
  std::string log_json;             // JSON lines: step, loss, lr, images/s
  double eval_split = 0;            // text: this fraction of the rows held out for evaluation
  std::string eval_file;            // text: held-out text with the same tokenizer
  int64_t eval_every = 100;         // steps between evaluations (and one at the end)
  std::string monitor;              // images: labelled images scored by kNN on the frozen encoder as training goes
  int64_t monitor_every = 500;      // steps between kNN scores (and one at the end)
  int views = 16;                   // emp: crops per image (two-view methods take 2)
  int view_size = 0;                // emp: side the crops are resized to (0: the images' side)
  int global_views = 0;             // emp: full-size views beside the crops (multi-crop)
  std::string global_recipe = "crop(0.25,1) flip(0.5) jitter(0.4,0.4,0.4,0.2,p=0.8) gray(0.2) solarize(128,p=0.1)";
  int64_t patch = 4;                // vit: patch side in pixels
  bool norm_pix = true;             // mae: per-patch normalised targets (MAE's norm_pix_loss)
  std::string recon;                // mae: a PNG of reconstructions, rewritten every recon_every steps and at the end
  int64_t recon_every = 500;
  uint64_t seed = 0;
  std::string command_line;
  std::set<std::string> given;      // options given on the command line ("--lr"): checked against --resume
};

void run_pretrain(const PretrainOptions& opts);

}  // namespace sslkit::train
