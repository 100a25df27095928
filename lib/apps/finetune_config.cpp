#include "apps/finetune_config.hpp"

#include "core/error.hpp"
#include "models/encoder_shape.hpp"

namespace sslkit::train {

using json = nlohmann::ordered_json;
using Type = OptionSpec::Type;

namespace {

std::function<std::string(const FinetuneFacts&)> only_modes(std::vector<std::string> modes) {
  return [modes](const FinetuneFacts& f) {
    for (const std::string& m : modes)
      if (f.mode == m) return std::string();
    return "--mode is " + f.mode;
  };
}

std::vector<FinetuneRow> rows() {
  const FullFinetuneOptions d;  // the defaults, where the struct keeps them
  const auto full = only_modes({"full"}), knn = only_modes({"knn"});
  return {
      {{.flag = "--eval", .type = Type::input, .help = "Test set, the same kind of file as train", .required = true}},
      {{.flag = "--mode", .type = Type::text, .fallback = d.report.mode,
        .help = "linear, knn, or full (fine-tune the encoder with a new head)", .choices = {"linear", "knn", "full"}}},
      {{.flag = "--model", .type = Type::input,
        .help = "Model file: features from its encoder (linear, knn), or the encoder to fine-tune (full)"}},
      {{.flag = "--raw-pixels", .type = Type::flag, .fallback = false,
        .help = "Baseline: use the images' pixels as features"}},
      {{.flag = "--log-mel", .type = Type::flag, .fallback = false,
        .help = "Baseline for audio: each clip's 40 log-mel bands' mean and std over 25 ms windows every 10 ms as "
                "features"}},
      {{.flag = "--bag-of-words", .type = Type::flag, .fallback = false,
        .help = "Baseline for text: TF-IDF of each sequence's token ids (the training rows' idf, rows l2-normalised, "
                "as scikit-learn's TfidfTransformer) as features"}},
      {{.flag = "--k", .type = Type::integer, .fallback = d.report.k,
        .help = "kNN neighbours (200 with T=0.1, or 20 with T=0.07)", .min = 1, .max = 100000},
       "goes with --mode knn", knn},
      {{.flag = "--knn-temperature", .type = Type::real, .fallback = d.report.knn_temperature,
        .help = "kNN vote temperature (cosine)", .min = 0, .open_min = true},
       "goes with --mode knn", knn},
      {{.flag = "--knn-metric", .type = Type::text, .fallback = d.report.knn_metric,
        .help = "kNN: cosine (votes weighted exp(sim/T), the SSL convention) or euclidean (distance on the raw "
                "features, one vote each: scikit-learn's KNeighborsClassifier)",
        .choices = {"cosine", "euclidean"}},
       "goes with --mode knn", knn},
      {{.flag = "--label-fraction", .type = Type::real, .fallback = d.report.label_fraction,
        .help = "Use a stratified fraction of the training labels", .min = 0, .max = 1, .open_min = true}},
      {{.flag = "--epochs", .type = Type::integer,
        .help = "Epochs of the linear probe [default 100] or of full fine-tuning [default 30; not with "
                "--time-budget]",
        .min = 1, .max = 100000},
       "goes with --mode linear or full", only_modes({"linear", "full"})},
      {{.flag = "--arch", .type = Type::text,
        .help = "full without --model: train this encoder from scratch (the baseline) [default convnet-s; text "
                "files bert-mini; audio files w2v-mini]; a preset or PRESET:KEY=VALUE,... (ssl-pretrain --help)",
        .check = models::arch_problem, .value_name = "PRESET[:KEY=VALUE,...]"},
       "goes with --mode full", full},
      {{.flag = "--batch", .type = Type::integer,
        .help = "Samples per step [default 256; text files 64; audio files 32]", .min = 2, .max = 65536},
       "goes with --mode full", full},
      {{.flag = "--time-budget", .type = Type::real, .help = "Seconds of training instead of --epochs", .min = 0},
       "goes with --mode full", full},
      {{.flag = "--lr", .type = Type::real,
        .help = "Learning rate of the head (AdamW, warmup then cosine) [default 0.01; a ViT 0.003]", .min = 0,
        .open_min = true},
       "goes with --mode full", full},
      {{.flag = "--backbone-lr-scale", .type = Type::real, .fallback = d.backbone_lr_scale,
        .help = "The backbone's lr as a fraction of --lr", .min = 0},
       "goes with --mode full", full},
      {{.flag = "--layer-decay", .type = Type::real,
        .help = "ViT: MAE's layer-wise lr decay, each block down from the head by this factor [default 0.75 for a "
                "pretrained model, 1 from scratch]",
        .min = 0, .max = 1},
       "goes with --mode full", full},
      {{.flag = "--pool", .type = Type::text,
        .help = "ViT: features from the class token (cls) or the mean of the patch tokens (mean) [default: the "
                "model's; cls for mae]; text: mean over the real tokens [default], cls, or pooler (BERT's, of an "
                "imported BERT), in every mode; audio: mean only",
        .choices = {"cls", "mean", "pooler"}},
       "chooses a model's features: give --model",
       [](const FinetuneFacts& f) {
         return f.mode == "full" || f.given.contains("--model") ? std::string() : "--mode is " + f.mode;
       }},
      {{.flag = "--weight-decay", .type = Type::real,
        .help = "Weight decay (not on biases and norm parameters) [default 0.0001; a ViT 0.05]", .min = 0},
       "goes with --mode full", full},
      {{.flag = "--recipe", .type = Type::text, .fallback = d.recipe, .help = "Augmentation of the training images"},
       "goes with --mode full", full},
      {{.flag = "--precision", .type = Type::text, .fallback = d.precision, .help = "f32, bf16 or auto",
        .choices = {"f32", "bf16", "auto"}}},
      {{.flag = "-o,--output", .type = Type::output, .help = "full: write the fine-tuned model file here"},
       "writes a fine-tuned model: use it with --mode full", full},
      {{.flag = "--metrics", .type = Type::output, .help = "Write metrics as JSON here", .binary = false}},
      {{.flag = "--plot", .type = Type::output,
        .help = "Write the confusion matrix as a PNG here (class names on the axes)"}},
      {{.flag = "--title", .type = Type::text,
        .help = "Title of the --plot picture, the accuracy added (default: the mode and the features, e.g. "
                "\"linear probe, m.h5 features\")"},
       "names the --plot picture: give one",
       [](const FinetuneFacts& f) { return f.given.contains("--plot") ? std::string() : "--plot is not given"; }},
  };
}

}  // namespace

const std::vector<FinetuneRow>& finetune_options() {
  static const std::vector<FinetuneRow> table = rows();
  return table;
}

std::vector<OptionSpec> finetune_option_specs() { return specs_with_defaults(finetune_options()); }

FullFinetuneOptions resolve_finetune(const json& given) {
  FullFinetuneOptions o;
  eval::FinetuneOptions& r = o.report;
  take_given(given, "--mode", r.mode);
  if (const std::string why = inapplicable(finetune_options(), given, FinetuneFacts{r.mode, given}); !why.empty())
    throw UsageError(why);
  take_given(given, "--raw-pixels", r.raw_pixels);
  take_given(given, "--log-mel", r.log_mel);
  take_given(given, "--model", r.model);
  take_given(given, "--bag-of-words", r.bag_of_words);
  if (!r.model.empty() && r.raw_pixels) throw UsageError("--model and --raw-pixels exclude each other");
  if (!r.model.empty() && r.log_mel) throw UsageError("--model and --log-mel exclude each other");
  if (!r.model.empty() && r.bag_of_words) throw UsageError("--model and --bag-of-words exclude each other");
  if (r.raw_pixels + r.log_mel + r.bag_of_words > 1)
    throw UsageError("--raw-pixels (images), --log-mel (audio) and --bag-of-words (text) exclude each other");
  take_given(given, "--knn-metric", r.knn_metric);
  if (r.knn_metric == "euclidean" && given.contains("--knn-temperature"))
    throw UsageError("--knn-temperature weights cosine votes; --knn-metric euclidean gives each neighbour one vote");
  take_given(given, "--eval", r.eval);
  take_given(given, "--k", r.k);
  take_given(given, "--knn-temperature", r.knn_temperature);
  take_given(given, "--label-fraction", r.label_fraction);
  take_given(given, "--epochs", r.epochs);
  take_given(given, "--metrics", r.metrics);
  take_given(given, "--plot", r.plot);
  take_given(given, "--title", r.title);
  if (r.mode == "full") o.epochs = given.contains("--epochs") ? r.epochs : 30;
  take_given(given, "--arch", o.arch);
  take_given(given, "--batch", o.batch);
  take_given(given, "--time-budget", o.time_budget);
  take_given(given, "--lr", o.lr);
  take_given(given, "--backbone-lr-scale", o.backbone_lr_scale);
  take_given(given, "--layer-decay", o.layer_decay);
  take_given(given, "--pool", o.pool);
  take_given(given, "--weight-decay", o.weight_decay);
  take_given(given, "--recipe", o.recipe);
  take_given(given, "--precision", o.precision);
  take_given(given, "-o,--output", o.output);
  for (const auto& [flag, v] : given.items()) o.given.insert(flag == "-o,--output" ? "--output" : flag);
  return o;
}

}  // namespace sslkit::train
