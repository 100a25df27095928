// ssl-finetune: what the representations are worth (linear probe, kNN,
// full fine-tuning), with the raw-pixel baseline one flag away.
#include <cstdio>

#include "cli/tool.hpp"
#include "models/encoders.hpp"
#include "eval/probe.hpp"
#include "apps/embed.hpp"
#include "apps/finetune.hpp"
#include "apps/run_probe.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool("ssl-finetune",
                 "Evaluate a representation on labels: linear probe or weighted kNN on frozen features, or full "
                 "fine-tuning of the encoder.");
  auto& app = tool.app();
  train::FullFinetuneOptions full;
  eval::FinetuneOptions& o = full.report;
  tool.add_input(app, "train", o.train,
                 "Training embeddings (ssl-embed output); or images or audio, with --model, --raw-pixels (images), --log-mel "
                 "(audio) or --mode full")
      ->required();
  tool.add_input(app, "--eval", o.eval, "Test set, the same kind of file as train")->required();
  app.add_option("--mode", o.mode, "linear, knn, or full (fine-tune the encoder with a new head)")
      ->check(CLI::IsMember({"linear", "knn", "full"}));
  tool.add_input(app, "--model", o.model,
                 "Model file: features from its encoder (linear, knn), or the encoder to fine-tune (full)");
  app.add_flag("--raw-pixels", o.raw_pixels, "Baseline: use the images' pixels as features");
  app.add_flag("--log-mel", o.log_mel, "Baseline for audio: each clip's 40 log-mel bands' mean and std over 25 ms windows "
               "every 10 ms as features");
  app.add_option("--k", o.k, "kNN neighbours (200 with T=0.1, or 20 with T=0.07)")->check(CLI::Range(1, 100000));
  app.add_option("--knn-temperature", o.knn_temperature, "kNN vote temperature (cosine)")->check(cli::positive());
  app.add_option("--knn-metric", o.knn_metric,
                 "kNN: cosine (votes weighted exp(sim/T), the SSL convention) or euclidean (distance on the raw "
                 "features, one vote each: scikit-learn's KNeighborsClassifier)")
      ->check(CLI::IsMember({"cosine", "euclidean"}));
  app.add_option("--label-fraction", o.label_fraction, "Use a stratified fraction of the training labels")
      ->check(cli::positive() & CLI::Range(0.0, 1.0));
  app.add_option("--epochs", o.epochs, "Epochs of the linear probe (100) or of full fine-tuning (30; not with --time-budget)")
                     ->check(CLI::Range(1, 100000));
  app.add_option("--arch", full.arch,
                 "full without --model: train this encoder from scratch (the baseline): convnet-s, convnet-m, resnet18, vit-mini, "
                 "vit-tiny; bert-tiny, bert-mini for text, w2v-mini, w2v-tiny for audio (the defaults there)")
      ->check(CLI::Validator(models::arch_problem, "PRESET[:KEY=VALUE,...]"));
  app.add_option("--batch", full.batch, "full: images per step (text: sequences, 64)")->check(CLI::Range(2, 65536));
  app.add_option("--time-budget", full.time_budget, "full: seconds of training instead of --epochs (not with --epochs)")
      ->check(cli::non_negative());
  app.add_option("--lr", full.lr, "full: learning rate of the head (AdamW, warmup then cosine; 1e-2, a ViT 1e-3)")
      ->check(cli::positive());
  app.add_option("--backbone-lr-scale", full.backbone_lr_scale, "full: the backbone's lr as a fraction of --lr (0.1)")
      ->check(cli::non_negative());
  app.add_option("--layer-decay", full.layer_decay,
                 "full, ViT: MAE's layer-wise lr decay, each block down from the head by this factor (0.75 for a "
                 "pretrained model, 1 from scratch)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--pool", full.pool, "ViT: features from the class token (cls) or the mean of the patch tokens "
                                      "(mean); default: the model's (cls for mae); text: mean over the real tokens "
                                      "(default) or cls, in every mode; audio: mean only")
      ->check(CLI::IsMember({"cls", "mean"}));
  app.add_option("--weight-decay", full.weight_decay, "full: weight decay (not on biases and norm parameters; 0.05 for a ViT)")
      ->check(cli::non_negative());
  app.add_option("--recipe", full.recipe, "full, images: augmentation of the training images");
  app.add_option("--precision", full.precision, "f32, bf16 or auto")->check(CLI::IsMember({"f32", "bf16", "auto"}));
  tool.add_output(app, "-o,--output", full.output, "full: write the fine-tuned model file here");
  tool.add_output(app, "--metrics", o.metrics, "Write metrics as JSON here", /*binary=*/false);
  tool.add_output(app, "--plot", o.plot, "Write the confusion matrix as a PNG here (class names on the axes)");
  app.add_option("--title", o.title,
                 "Title of the --plot picture, the accuracy added (default: the mode and the features, e.g. "
                 "\"linear probe, m.h5 features\")");
  tool.add_common(app, /*output=*/false);
  return tool.run(argc, argv, [&] {
    o.seed = tool.common().seed;
    full.command_line = tool.command_line();
    full.given = tool.given_options();
    if (o.mode != "full" && !full.output.empty()) throw UsageError("-o writes a fine-tuned model: use it with --mode full");
    if (o.mode != "full" && *app.get_option("--arch")) throw UsageError("--arch goes with --mode full");
    if (o.mode != "full" && *app.get_option("--time-budget")) throw UsageError("--time-budget goes with --mode full");
    if (!o.model.empty() && o.raw_pixels) throw UsageError("--model and --raw-pixels exclude each other");
    if (!o.model.empty() && o.log_mel) throw UsageError("--model and --log-mel exclude each other");
    if (o.raw_pixels && o.log_mel) throw UsageError("--raw-pixels (images) and --log-mel (audio) exclude each other");
    if (o.plot.empty() && *app.get_option("--title")) throw UsageError("--title names the --plot picture: give one");
    if (o.mode != "knn" && *app.get_option("--knn-metric")) throw UsageError("--knn-metric goes with --mode knn");
    if (o.knn_metric == "euclidean" && *app.get_option("--knn-temperature"))
      throw UsageError("--knn-temperature weights cosine votes; --knn-metric euclidean gives each neighbour one vote");
    if (o.mode != "full" && o.model.empty() && *app.get_option("--pool"))
      throw UsageError("--pool chooses a model's features: give --model");
    eval::Metrics m;
    if (o.mode == "full") {
      full.epochs = app.count("--epochs") ? o.epochs : 30;
      m = train::run_full_finetune(full);
    } else {
      m = train::run_probe(o, full.precision, full.pool);
    }
    const char* features = o.mode == "full" ? "fine-tuned encoder"
                           : o.raw_pixels   ? "raw pixels"
                           : o.log_mel      ? "log-mel statistics"
                           : o.model.empty() ? "embeddings"
                                             : "encoder features";
    std::printf("accuracy %.4f (%s, %s)\n", m.accuracy, o.mode.c_str(), features);
    for (size_t c = 0; c < m.per_class.size(); ++c)
      std::printf("  %-14s %.4f\n", c < m.class_names.size() ? m.class_names[c].c_str() : std::to_string(c).c_str(),
                  m.per_class[c]);
  });
}
