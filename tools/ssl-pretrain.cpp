// ssl-pretrain: trains an encoder with a self-supervised objective.
#include "cli/tool.hpp"
#include "models/encoders.hpp"
#include "methods/registry.hpp"
#include "train/pretrain.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool("ssl-pretrain", "Pretrain an encoder without labels.");
  auto& app = tool.app();
  train::PretrainOptions o;
  tool.add_input(app, "input", o.input,
                 "SSL-HDF5 image file (raw images, augmented on the fly, or ssl-augment views), or text file (mlm)")
      ->required();
  std::string methods_help = "The objective (a text file defaults to mlm):";
  for (const auto& m : methods::method_registry())
    if (m.pretrain) methods_help += std::string("\n  ") + m.name + ": " + m.summary;
  app.add_option("--method", o.method, methods_help)->check(CLI::IsMember(methods::pretrain_method_names()));
  app.add_option("--arch", o.arch,
                 "Encoder: convnet-s, convnet-m (twice as wide), resnet18 (CIFAR stem), vit-mini or vit-tiny (patch 4; mae's default) for images; "
                 "bert-tiny or bert-mini for text (the default there); w2v-mini or w2v-tiny for audio (the default there)")
      ->check(CLI::Validator(models::arch_problem, "PRESET[:KEY=VALUE,...]"));
  app.add_option("--epochs", o.epochs, "Epochs (10 unless --time-budget is given; the two exclude each other)")->check(CLI::Range(0, 100000));
  app.add_option("--time-budget", o.time_budget, "Seconds of training instead of --epochs; the schedule follows the elapsed time")
      ->check(cli::non_negative());
  app.add_option("--batch", o.batch, "Images per step (text: sequences, 64 by default)")->check(CLI::Range(2, 65536));
  app.add_option("--lr", o.lr, "Peak learning rate")->check(cli::positive());
  app.add_option("--weight-decay", o.weight_decay, "Weight decay (not on biases and norm parameters)")
      ->check(cli::non_negative());
  app.add_option("--warmup", o.warmup, "Linear warmup, as a fraction of training, then cosine decay")
      ->check(CLI::Range(0.0, 0.9));
  app.add_option("--optimizer", o.optimizer, "sgd, lars or adamw")->check(CLI::IsMember({"sgd", "lars", "adamw"}));
  app.add_option("--precision", o.precision, "f32, bf16 or auto (bf16 where oneDNN has bf16 kernels: AVX512-BF16 or AMX)")
      ->check(CLI::IsMember({"f32", "bf16", "auto"}));
  app.add_option("--recipe", o.recipe, "Augmentation recipe (default: the method's own)");
  app.add_option("--strength", o.strength, "Color-jitter strength for the simclr recipe")
      ->check(cli::non_negative());
  app.add_option("--temperature", o.temperature, "Temperature of NT-Xent / InfoNCE")->check(cli::positive());
  app.add_option("--checkpoint-every", o.checkpoint_every, "Write the model file every N steps (and at the end)")
      ->check(CLI::Range(int64_t{0}, INT64_MAX));
  // Continuing into the same file is how a run goes on: the checkpoint is
  // read whole before it is replaced, so -o may name it.
  tool.add_input(app, "--resume", o.resume, "Continue from this model file (same data, same settings); -o may name it",
                 /*rewritten_by=*/"-o");
  app.add_option("--max-steps", o.max_steps, "Stop after this many steps of this run and write the model (resume later)")
      ->check(CLI::Range(int64_t{0}, INT64_MAX));
  tool.add_output(app, "--log-json", o.log_json, "Write per-step JSON lines (step, loss, lr, images/s) to this file ('-' for stdout): a fresh run replaces it, --resume appends",
                  /*binary=*/false);
  app.add_option("--eval-split", o.eval_split,
                 "Text: hold out this fraction of the rows (never trained on) and log masked-token accuracy and "
                 "perplexity on them and on as many training rows; stored in the model file")
      ->check(CLI::Range(0.0, 0.5));
  tool.add_input(app, "--eval", o.eval_file, "Text: held-out text file (same tokenizer) to score instead of --eval-split");
  app.add_option("--eval-every", o.eval_every, "Steps between held-out evaluations (and one at the end); 0: only at the end")
      ->check(CLI::Range(int64_t{0}, INT64_MAX));
  tool.add_input(app, "--monitor", o.monitor,
                 "Images: labelled images to score every --monitor-every steps and at the end by kNN (k=200, T=0.1) on "
                 "the frozen encoder, the training file's labelled rows (up to 10,000) as neighbours; logged with "
                 "--log-json and stored in the model file (train/monitor_knn)");
  app.add_option("--monitor-every", o.monitor_every, "Steps between --monitor scores (500)")
      ->check(CLI::Range(int64_t{1}, INT64_MAX));
  app.add_option("--views", o.views,
                 "emp: crops of each image per step, through the encoder together (16, at most 64; EMP-SSL's CIFAR runs use 20)")
      ->check(CLI::Range(2, 64));
  app.add_option("--view-size", o.view_size,
                 "emp: side in pixels the crops are resized to (default: half the images' side; EMP-SSL resizes to the full side, slower and, measured, worse)")
      ->check(CLI::Range(4, 4096));
  app.add_option("--global-views", o.global_views,
                 "emp: full-size views of each image beside the --views crops (multi-crop; 0)")
      ->check(CLI::Range(0, 16));
  app.add_option("--global-recipe", o.global_recipe, "emp: augmentation recipe of the --global-views")
      ->capture_default_str();
  app.add_option("--patch", o.patch, "ViT: patch side in pixels (4: 49 patches of a 28x28 image); any that divides the images")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  app.add_flag("--norm-pix-loss,!--no-norm-pix-loss", o.norm_pix,
               "mae: predict each hidden patch normalised by its own mean and std (on by default, as MAE's results)");
  tool.add_output(app, "--recon", o.recon,
                 "mae: write a PNG of 8 fixed images (original, masked, reconstruction, with visible patches) every "
                 "--recon-every steps and at the end");
  app.add_option("--recon-every", o.recon_every, "Steps between reconstructions (0: only at the end)")
      ->check(CLI::Range(int64_t{0}, INT64_MAX));
  app.get_option("--eval")->excludes("--eval-split");
  tool.add_common(app);
  return tool.run(argc, argv, [&] {
    o.output = tool.common().output;
    o.seed = tool.common().seed;
    o.command_line = tool.command_line();
    o.given = tool.given_options();
    train::run_pretrain(o);
  });
}
