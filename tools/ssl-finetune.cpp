// ssl-finetune: what the representations are worth (linear probe, kNN).
#include <cstdio>

#include "cli/tool.hpp"
#include "eval/probe.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool("ssl-finetune", "Evaluate embeddings: linear probe or weighted kNN on a labelled test set.");
  auto& app = tool.app();
  eval::FinetuneOptions o;
  app.add_option("train", o.train, "Training embeddings (ssl-embed output), or an image file with --raw-pixels")
      ->required();
  app.add_option("--eval", o.eval, "Test embeddings (or images with --raw-pixels)")->required();
  app.add_option("--mode", o.mode, "linear or knn")->check(CLI::IsMember({"linear", "knn"}));
  app.add_flag("--raw-pixels", o.raw_pixels, "Baseline: use the images' pixels as features");
  app.add_option("--k", o.k, "kNN neighbours (200 with T=0.1, or 20 with T=0.07)")->check(CLI::Range(1, 100000));
  app.add_option("--knn-temperature", o.knn_temperature, "kNN vote temperature");
  app.add_option("--label-fraction", o.label_fraction, "Use a stratified fraction of the training labels");
  app.add_option("--epochs", o.epochs, "Epochs of the linear probe")->check(CLI::Range(1, 1000));
  app.add_option("--metrics", o.metrics, "Write metrics as JSON here");
  app.add_option("--plot", o.plot, "Write the confusion matrix as a PNG here");
  tool.add_common(app, /*output=*/false);
  return tool.run(argc, argv, [&] {
    o.seed = tool.common().seed;
    auto m = eval::run_finetune(o);
    std::printf("accuracy %.4f (%s, %s)\n", m.accuracy, o.mode.c_str(), o.raw_pixels ? "raw pixels" : "embeddings");
    for (size_t c = 0; c < m.per_class.size(); ++c)
      std::printf("  %-14s %.4f\n", c < m.class_names.size() ? m.class_names[c].c_str() : std::to_string(c).c_str(),
                  m.per_class[c]);
  });
}
