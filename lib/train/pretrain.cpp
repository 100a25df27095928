#include "train/pretrain.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <random>
#include <numeric>
#include <thread>

#include "augment/recipe.hpp"
#include "nn/profile.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "io/data_file.hpp"
#include "io/files.hpp"
#include "io/log_file.hpp"
#include "io/model_file.hpp"
#include "methods/method.hpp"
#include "models/encoders.hpp"
#include "models/text_encoder.hpp"
#include "models/vit.hpp"
#include "models/w2v.hpp"
#include "augment/audio_ops.hpp"
#include "nn/engine.hpp"
#include "nn/optim.hpp"
#include "train/checkpoint.hpp"
#include "train/knn_monitor.hpp"
#include "train/collapse.hpp"
#include "train/image_batches.hpp"
#include "train/reconstruct.hpp"
#include "train/masked_eval.hpp"
#include "train/sequence_batches.hpp"
#include "train/text_lengths.hpp"
#include "data/text_source.hpp"
#include "data/tokenizer.hpp"
#include "io/same_kind.hpp"
#include "train/trainer.hpp"
#include "methods/registry.hpp"
#include "train/trained_model.hpp"

namespace sslkit::train {

using json = nlohmann::ordered_json;

namespace {

// Epochs of a run given neither --epochs nor --time-budget.
constexpr int kDefaultEpochs = 10;

std::unique_ptr<nn::Optimizer> make_optimizer(const std::string& name, methods::Method& m, double lr, double wd,
                                              double beta2) {
  // The optimizer owns what the method says it trains (EMA targets are not).
  nn::ParamGroup decay{{}, 1.0, wd, false}, no_decay{{}, 1.0, 0.0, true};
  const std::vector<nn::Var*> owned = methods::trainable_parameters(m);
  for (auto& [n, p] : m.named_parameters()) {
    if (std::find(owned.begin(), owned.end(), p) == owned.end()) continue;
    bool bias = n.size() >= 4 && n.compare(n.size() - 4, 4, "bias") == 0;
    (bias || p->value().rank() == 1 ? no_decay : decay).params.push_back(p);
  }
  std::vector<nn::ParamGroup> groups{decay, no_decay};
  if (name == "sgd") return std::make_unique<nn::SGD>(groups, lr, 0.9);
  if (name == "lars") return std::make_unique<nn::LARS>(groups, lr, 0.9);
  if (name == "adamw") return std::make_unique<nn::AdamW>(groups, lr, 0.9f, static_cast<float>(beta2));
  throw UsageError("--optimizer must be sgd, lars or adamw");
}

// 16 random hex digits: runs never share one by chance, and the seed
// (which two runs may well share) plays no part.
std::string new_run_id() {
  std::random_device rd;
  const uint64_t v = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

int64_t audio_sample_rate(const io::DataReader& in) {
  std::lock_guard<std::mutex> l(io::hdf5_mutex());
  return in.sample_rate();
}

json data_shape(const io::DataReader& in) {
  std::lock_guard<std::mutex> l(io::hdf5_mutex());
  if (in.modality() == io::Modality::text) return in.info("/tokens").shape;
  if (in.modality() == io::Modality::audio) return in.info("/audio").shape;
  return in.info(in.has("/images") ? "/images" : "/views").shape;
}

// Options that define the training: given with --resume, they must agree
// with the checkpoint's config (the run's options may change).
void check_resume_options(const PretrainOptions& o, const json& config, const io::DataReader& in) {
  auto differs = [&](const char* option, const char* key, const json& value) {
    if (!o.given.count(option) || !config.contains(key) || config[key] == value) return;
    throw UsageError(std::string(option) + " " + (value.is_string() ? value.get<std::string>() : value.dump()) +
                     " differs from the checkpoint's " + config[key].dump() + " (" + o.resume +
                     "); resume continues one training, start a new one to change it");
  };
  differs("--method", "method", o.method);
  differs("--arch", "arch", o.arch);
  differs("--batch", "batch", o.batch);
  differs("--lr", "lr", o.lr);
  differs("--weight-decay", "weight_decay", o.weight_decay);
  differs("--warmup", "warmup", o.warmup);
  differs("--optimizer", "optimizer", o.optimizer);
  differs("--recipe", "recipe", o.recipe);
  differs("--strength", "strength", o.strength);
  differs("--temperature", "temperature", o.temperature);
  differs("--seed", "seed", o.seed);
  differs("--eval-split", "eval_split", o.eval_split);
  differs("--patch", "patch", o.patch);
  differs("--views", "views", o.views);
  differs("--view-size", "view_size", o.view_size);
  differs("--global-views", "global_views", o.global_views);
  differs("--global-recipe", "global_recipe", o.global_recipe);
  differs("--norm-pix-loss", "norm_pix", o.norm_pix);
  if (config.contains("data")) {
    const json& d = config["data"];
    if (d["samples"] != in.size() || (d.contains("shape") && d["shape"] != data_shape(in)))
      throw UsageError(in.name() + ": is not the data " + o.resume + " was trained on (" + d.dump() +
                       "); resume continues one training on one file");
  }
  // A resumed run ends the way its training was planned: after its epochs
  // (10 when neither was given) or its time budget, never switched over.
  const int planned_epochs = config.value("epochs", 0);
  const double planned_budget = config.value("time_budget", 0.0);
  const bool by_time = planned_epochs == 0 && planned_budget > 0;
  const int epochs = planned_epochs > 0 ? planned_epochs : kDefaultEpochs;
  if (o.given.count("--time-budget") && o.time_budget > 0 && !by_time)
    throw UsageError("--time-budget: " + o.resume + " trains for " + std::to_string(epochs) +
                     " epochs; a resumed run ends as it was planned: give more --epochs");
  if (o.given.count("--epochs") && o.epochs > 0 && by_time) {
    char budget[32];
    std::snprintf(budget, sizeof budget, "%g", planned_budget);
    throw UsageError("--epochs: " + o.resume + " trains for a time budget of " + budget +
                     " s; a resumed run ends as it was planned: give a longer --time-budget");
  }
  if (o.given.count("--epochs") && !by_time && o.epochs < epochs)
    throw UsageError("--epochs " + std::to_string(o.epochs) + " is fewer than the checkpoint's " +
                     std::to_string(epochs) + "; a resumed run may only train longer");
}

// Held-out text for masked-LM evaluation: rows of the input carved off by
// --eval-split (a seeded choice, never trained on), or rows of --eval. The
// same number of training rows are scored beside them, so the two curves
// show over-fitting. At most kMaxEvalRows of each are scored.
struct HeldOut {
  static constexpr size_t kMaxEvalRows = 2048;
  const io::DataReader* file = nullptr;       // where `rows` are
  std::vector<size_t> rows, train_rows;       // scored rows; every row trained on
  std::vector<size_t> train_scored;
  MaskedScore unigram;
};

std::optional<HeldOut> hold_out(const io::DataReader& in, const io::DataReader* eval_in, double split, uint64_t seed,
                                int batch) {
  HeldOut h;
  std::vector<size_t> perm(in.size());
  std::iota(perm.begin(), perm.end(), size_t{0});
  Rng rng(seed, 0xE7A15);
  for (size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[rng.below(i)]);
  size_t held = 0;
  if (split > 0) {
    held = std::max<size_t>(1, static_cast<size_t>(std::llround(split * static_cast<double>(in.size()))));
    if (in.size() < held + static_cast<size_t>(batch))
      throw UsageError("--eval-split " + std::to_string(split) + " leaves " + std::to_string(in.size() - std::min(held, in.size())) +
                       " rows of " + in.name() + " to train on, fewer than one batch of " + std::to_string(batch));
    h.file = &in;
    h.rows.assign(perm.begin(), perm.begin() + std::min(held, HeldOut::kMaxEvalRows));
  } else if (eval_in) {
    h.file = eval_in;
    for (size_t r = 0; r < std::min(eval_in->size(), HeldOut::kMaxEvalRows); ++r) h.rows.push_back(r);
  } else {
    return std::nullopt;
  }
  h.train_rows.assign(perm.begin() + held, perm.end());
  h.train_scored.assign(h.train_rows.begin(), h.train_rows.begin() + std::min(h.train_rows.size(), h.rows.size()));
  std::sort(h.train_rows.begin(), h.train_rows.end());
  h.unigram = unigram_baseline(in, h.train_rows, *h.file, h.rows, seed);
  return h;
}

}  // namespace

void run_pretrain(const PretrainOptions& o) {
  if (o.batch < 2) throw UsageError("--batch must be at least 2");
  check_run_length(o.given.count("--epochs") && o.epochs > 0, o.time_budget > 0);
  nn::init_engine();
  io::DataReader in(o.input);
  const bool text = in.modality() == io::Modality::text, audio = in.modality() == io::Modality::audio;
  const nn::DType dt = nn::resolve_precision(o.precision);
  if (!text && (o.eval_split > 0 || !o.eval_file.empty()))
    throw UsageError(std::string(o.eval_split > 0 ? "--eval-split" : "--eval") + " scores masked language models; " +
                     in.name() + " is not a text file");
  note(std::string("precision ") + nn::dtype_name(dt) + " (" + nn::cpu_isa_name() + ")");
  if (!text && !audio && in.modality() != io::Modality::image)
    throw UsageError(in.name() + " is an " + io::modality_name(in.modality()) +
                     " file; ssl-pretrain trains on image, text and audio files");

  json config;
  CheckpointExtras extras;
  if (!o.resume.empty()) {
    io::ModelReader peek(o.resume);
    config = json::parse(peek.config());
    // A fine-tuned model keeps no pretraining state (optimizer, schedule,
    // batch): there is nothing for ssl-pretrain to continue.
    const std::string resumed = config.value("method", std::string());
    const auto& rows = methods::method_registry();
    if (std::any_of(rows.begin(), rows.end(), [&](const methods::MethodInfo& m) { return m.name == resumed && !m.pretrain; }))
      throw Error(o.resume, "a fine-tuned model (" + resumed + ") cannot be resumed by ssl-pretrain; resume a pretrained model");
    check_resume_options(o, config, in);
    if (o.given.count("--epochs")) config["epochs"] = o.epochs;
    if (o.given.count("--time-budget")) config["time_budget"] = o.time_budget;
  } else if (text) {
    // Text: masked language modelling on a BERT-style encoder unless told.
    const std::string method = o.given.count("--method") ? o.method : "mlm";
    const std::string arch = o.given.count("--arch") ? o.arch : "bert-mini";
    const methods::MethodInfo& info = methods::method_info(method);
    if (!methods::trains_on(info, "text"))
      throw UsageError("--method " + method + " trains " + methods::modality_list(info) + " files; " + in.name() + " is a text file");
    models::check_arch_modality(arch, "text", in.name());
    const json shape = data_shape(in);
    methods::MethodParams mp;
    mp.arch = arch;
    {
      std::lock_guard<std::mutex> l(io::hdf5_mutex());
      mp.vocab_size = data::Tokenizer::read_from(in).vocab_size();
      // The --max-len of the import, so held-out files imported apart fit.
      mp.max_len = data::text_max_len(in);
    }
    config = {{"method", method},
              {"optimizer", o.optimizer},
              {"lr", o.lr},
              // BERT's weight decay, unless one is given.
              {"weight_decay", o.given.count("--weight-decay") ? o.weight_decay : 0.01},
              // 64 sequences a step unless told: 256 took 7 s a step on 2 cores.
              {"batch", o.given.count("--batch") ? o.batch : 64},
              {"epochs", o.epochs},
              {"time_budget", o.time_budget},
              {"warmup", o.warmup},
              {"seed", o.seed},
              {"precision", nn::dtype_name(dt)},
              {"eval_split", o.eval_split},
              {"data", {{"file", o.input}, {"samples", in.size()}, {"shape", shape}}}};
    methods::write_params(mp, config);
  } else if (audio) {
    // Audio: wav2vec 2.0 on w2v-mini unless told, with fairseq's Adam
    // (betas 0.9, 0.98), lr 5e-4 and weight decay 0.01, 32 one-second clips
    // a step (fairseq: 1.4 M samples a GPU; w2v-mini takes about 0.35 s a
    // step of 32 in bf16 on 2 cores with AMX).
    const std::string method = o.given.count("--method") ? o.method : "wav2vec";
    const std::string arch = o.given.count("--arch") ? o.arch : "w2v-mini";
    const methods::MethodInfo& info = methods::method_info(method);
    if (!info.pretrain || !methods::trains_on(info, "audio"))
      throw UsageError("--method " + method + " trains " + methods::modality_list(info) + " files; " + in.name() +
                       " holds audio (wav2vec, simclr)");
    models::check_arch_modality(arch, "audio", in.name());
    const bool w2v = method == "wav2vec";
    methods::MethodParams mp;
    mp.arch = arch;
    mp.temperature = o.temperature;
    config = {{"method", method},
              {"optimizer", o.optimizer},
              {"lr", o.given.count("--lr") || !w2v ? o.lr : 5e-4},
              {"weight_decay", o.given.count("--weight-decay") || !w2v ? o.weight_decay : 0.01},
              {"adam_beta2", w2v ? 0.98 : 0.999},
              {"batch", o.given.count("--batch") ? o.batch : 32},
              {"epochs", o.epochs},
              {"time_budget", o.time_budget},
              {"warmup", o.warmup},
              {"recipe", o.recipe.empty() ? (w2v ? "" : "audio") : o.recipe},
              {"seed", o.seed},
              {"precision", nn::dtype_name(dt)},
              {"sample_rate", audio_sample_rate(in)},
              {"data", {{"file", o.input}, {"samples", in.size()}, {"shape", data_shape(in)}}}};
    methods::write_params(mp, config);
  } else {
    const methods::MethodInfo& info = methods::method_info(o.method);
    if (!info.pretrain || !methods::trains_on(info, "image"))
      throw UsageError("--method " + o.method + " trains " + methods::modality_list(info) + " files; " + in.name() + " holds images");
    if (o.given.count("--arch")) models::check_arch_modality(o.arch, "image", in.name());
    auto [mean, stdev] = pixel_stats(in);
    const json shape = data_shape(in);
    const bool views = !in.has("/images");
    methods::MethodParams mp;
    // The method's own encoder, batch and projector unless told (registry.hpp).
    mp.arch = o.given.count("--arch") || !info.arch ? o.arch : info.arch;
    mp.in_channels = shape.back();
    mp.temperature = o.temperature;
    if ((o.given.count("--patch")) && !models::is_vit_arch(mp.arch))
      throw UsageError("--patch cuts images for a ViT; --arch " + mp.arch + " is convolutional");
    if (o.given.count("--norm-pix-loss") && o.method != "mae")
      throw UsageError("--norm-pix-loss goes with --method mae");
    mp.patch = o.patch;
    mp.norm_pix = o.norm_pix;
    if (!info.crops && (o.given.count("--views") || o.given.count("--view-size") || o.given.count("--global-views") ||
                        o.given.count("--global-recipe")))
      throw UsageError("--views, --view-size and --global-views go with --method emp (" + o.method + " takes " +
                       std::to_string(info.views) + " view" + (info.views == 1 ? "" : "s") + " of each image)");
    methods::size_projector(info, mp);
    // MAE's recipe unless told: lr 1.5e-4 x batch / 256, weight decay 0.05,
    // AdamW betas (0.9, 0.95).
    const bool mae = o.method == "mae";
    config = {{"method", o.method},
              {"input_shape", {shape[views ? 2 : 1], shape[views ? 3 : 2]}},
              {"normalize", {{"mean", mean}, {"std", stdev}}},
              {"optimizer", o.optimizer},
              {"lr", mae && !o.given.count("--lr") ? 1.5e-4 * o.batch / 256 : o.lr},
              {"weight_decay", mae && !o.given.count("--weight-decay") ? 0.05 : o.weight_decay},
              {"adam_beta2", mae ? 0.95 : 0.999},
              {"batch", o.given.count("--batch") || !info.batch ? o.batch : info.batch},
              {"epochs", o.epochs},
              {"time_budget", o.time_budget},
              {"warmup", o.warmup},
              {"recipe", o.recipe.empty() ? info.recipe : o.recipe},
              {"strength", o.strength},
              {"seed", o.seed},
              {"precision", nn::dtype_name(dt)},
              {"data", {{"file", o.input}, {"samples", in.size()}, {"shape", shape}}}};
    if (info.crops) {
      config["views"] = o.given.count("--views") ? o.views : info.views;
      // Half the images' side unless told: 14 x 14 crops of a 28 x 28 image
      // trained to linear 0.884 / kNN 0.803 in 5 minutes against 0.851 /
      // 0.758 for EMP's own crops resized back to 28 (docs/methods.md).
      config["view_size"] = o.given.count("--view-size") ? o.view_size : std::max(4, shape[views ? 2 : 1].get<int>() / 2);
      if (o.global_views > 0) {
        try {  // a bad recipe fails here, before any training, naming the option
          augment::make_recipe(o.global_recipe, o.strength);
        } catch (const UsageError& e) {
          throw UsageError(std::string("--global-recipe: ") + e.what());
        }
        config["global_views"] = o.global_views;
        config["global_recipe"] = o.global_recipe;
      }
    }
    methods::write_params(mp, config);
  }
  config["precision"] = nn::dtype_name(dt);
  // Runs appending to one --log-json are told apart by this id on every
  // line; a resumed run keeps its checkpoint's, so its lines stay one run.
  if (!config.contains("run_id")) config["run_id"] = new_run_id();
  const std::string method_name = config["method"];
  const methods::MethodInfo& info = methods::method_info(method_name);
  const methods::MethodParams mp = methods::read_params(config);
  if (text) check_text_lengths(in, mp, data_shape(in)[1].get<int64_t>(), config["batch"].get<int64_t>());
  const uint64_t seed = config["seed"];
  Rng init_rng(seed, 0x1417);
  auto method = methods::make_method(method_name, mp, init_rng);
  auto opt = make_optimizer(config["optimizer"], *method, config["lr"], config["weight_decay"],
                            config.value("adam_beta2", 0.999));
  if (!o.resume.empty()) {
    extras.optimizer = opt->state();
    load_checkpoint(o.resume, *method, &extras);
    opt->set_steps(extras.step);
  }

  // Held-out text: carved off the input (fixed by the config, so a resumed
  // run trains on the same rows) or another file with the same tokenizer.
  std::optional<io::DataReader> eval_in;
  const std::string eval_file = !o.eval_file.empty() ? o.eval_file : config.value("eval_file", std::string());
  if (text && !eval_file.empty()) {
    eval_in.emplace(eval_file);
    std::lock_guard<std::mutex> l(io::hdf5_mutex());
    if (eval_in->modality() != io::Modality::text)
      throw UsageError("--eval " + eval_in->name() + " is not a text file; " + in.name() + " is");
    io::check_same_tokenizer(in, *eval_in, "--eval " + eval_in->name());
    const int64_t length = static_cast<int64_t>(eval_in->info("/tokens").shape[1]), positions = data::text_max_len(in);
    if (length > positions)
      throw UsageError("--eval " + eval_in->name() + " holds sequences of " + std::to_string(length) +
                       " tokens, longer than the " + std::to_string(positions) + " of " + in.name() +
                       " that the encoder is built for (import it with --max-len " + std::to_string(positions) + ")");
    if (io::is_same_file(eval_file, o.input))
      warn("--eval " + eval_file + " is the training file itself: its held-out scores are training scores");
    config["eval_file"] = eval_file;
  }
  const int batch_size = config["batch"];
  const std::optional<HeldOut> held =
      text ? hold_out(in, eval_in ? &*eval_in : nullptr, config.value("eval_split", 0.0), seed, batch_size)
           : std::nullopt;
  if (held && held->unigram.tokens == 0) {
    // Nothing to score: the accuracy and perplexity would print as 0.
    const std::string where = held->file == &in ? "--eval-split holds out " + std::to_string(held->rows.size()) +
                                                      " rows of it, and in them "
                                                : "";
    if (held->rows.empty()) throw Error(held->file->name(), "has no rows to score (--eval)");
    const int64_t maskable = maskable_tokens(*held->file, held->rows);
    if (maskable == 0)
      throw Error(held->file->name(), where + "no token can be masked: the rows hold only special pieces ([CLS], "
                                              "[SEP], padding)");
    bool own_masks = false;
    {
      std::lock_guard<std::mutex> l(io::hdf5_mutex());
      own_masks = held->file->has("/mlm_labels");
    }
    throw Error(held->file->name(), where + "the evaluation masks select none of its " + std::to_string(maskable) +
                                        " maskable tokens (" + (own_masks ? "its own masks, from ssl-mask" : "15 % are drawn") +
                                        "): nothing to score; give more rows");
  }
  if (held) {
    config["eval"] = {{"rows", held->rows.size()}, {"masked_tokens", held->unigram.tokens},
                      {"unigram_accuracy", held->unigram.accuracy}, {"unigram_perplexity", held->unigram.perplexity}};
    char line[200];
    std::snprintf(line, sizeof line, "held out: %zu rows, %lld masked tokens; unigram baseline accuracy %.4f, perplexity %.1f",
                  held->rows.size(), static_cast<long long>(held->unigram.tokens), held->unigram.accuracy,
                  held->unigram.perplexity);
    note(line);
  }
  if (text) {
    std::lock_guard<std::mutex> l(io::hdf5_mutex());
    extras.tokenizer = data::Tokenizer::read_from(in).bytes();
  }

  // The batch source of the file's modality; the trainer sees only batches.
  std::optional<ImageBatches> images;
  std::optional<TokenBatches> tokens;
  std::optional<AudioBatches> clips;
  std::function<methods::Batch()> next_batch;
  int64_t steps_per_epoch = 0;
  if (audio) {
    const models::W2VShape shape = models::w2v_shape(mp.arch);
    SequenceBatchSpec spec;
    spec.batch = batch_size;
    spec.seed = seed;
    spec.dtype = dt;
    spec.frames = models::w2v_frames(shape, data_shape(in)[1].get<int64_t>());
    spec.frames_of = [shape](int64_t n) { return models::w2v_frames(shape, n); };
    spec.audio_views = info.views;
    if (info.views > 0) spec.audio_recipe = augment::make_audio_recipe(config["recipe"]);
    spec.first_step = extras.step;
    clips.emplace(in, spec);
    next_batch = [&] { return clips->next(); };
    steps_per_epoch = clips->steps_per_epoch();
  } else if (text) {
    SequenceBatchSpec spec;
    spec.batch = batch_size;
    spec.seed = seed;
    spec.dtype = dt;
    if (held && held->file == &in) spec.rows = held->train_rows;
    spec.first_step = extras.step;
    tokens.emplace(in, spec);
    next_batch = [&] { return tokens->next(); };
    steps_per_epoch = tokens->steps_per_epoch();
  } else {
    ImageBatchSpec spec;
    spec.batch = batch_size;
    spec.seed = seed;
    spec.mean = config["normalize"]["mean"];
    spec.stdev = config["normalize"]["std"];
    spec.views = config.value("views", info.views);
    spec.view_size = config.value("view_size", 0);
    spec.global_views = config.value("global_views", 0);
    if (spec.global_views > 0) spec.global_recipe = augment::make_recipe(config["global_recipe"], config["strength"]);
    spec.rotation = info.rotation;
    spec.recipe = augment::make_recipe(config["recipe"], config["strength"]);
    spec.first_step = extras.step;
    spec.dtype = dt;
    spec.patch_ratio = info.mask_ratio;
    spec.patch = static_cast<int>(mp.patch);
    images.emplace(in, spec);
    next_batch = [&] { return images->next(); };
    steps_per_epoch = images->steps_per_epoch();
  }

  const double clip_seconds =
      audio ? data_shape(in)[1].get<double>() / config.value("sample_rate", int64_t{16000}) : 0.0;
  const int epochs = config["epochs"];
  const double budget = config["time_budget"];
  TrainLoop loop;
  loop.optimizer = opt.get();
  loop.schedule = {config["lr"], config["warmup"]};
  loop.budget.total_steps = epochs > 0 ? epochs * steps_per_epoch : (budget > 0 ? 0 : kDefaultEpochs * steps_per_epoch);
  loop.budget.seconds = budget;
  loop.budget.seconds_done = extras.seconds;
  loop.budget.max_steps = o.max_steps;
  loop.start_step = extras.step;
  loop.progress = "pretrain " + method_name;
  loop.subject = o.output;
  loop.data = in.name();
  loop.next_batch = next_batch;
  loop.loss = [&](const methods::Batch& b) { return method->loss(b); };
  loop.after_step.push_back([&](const StepReport& r) { method->after_step(r.fraction); });
  loop.after_step.push_back([&](const StepReport& r) {
    extras.loss.push_back(r.loss);
    extras.lr.push_back(static_cast<float>(r.lr));
  });
  // A resumed run continues its log; a fresh one replaces what the file
  // held, so one log is one run (docs/tools.md).
  std::optional<io::LogFile> log;
  auto log_line = [&](json line) {
    line["run_id"] = config["run_id"];
    log->line(line.dump());
  };
  if (!o.log_json.empty()) {
    log.emplace(o.log_json, o.resume.empty() ? io::LogStart::replace : io::LogStart::append);
    loop.after_step.push_back([&](const StepReport& r) {
      json line{{"step", r.step}, {"loss", r.loss}, {"lr", r.lr}};
      if (audio)
        line["audio_seconds_per_s"] = batch_size * clip_seconds / r.step_seconds;
      else
        line[text ? "sequences_per_s" : "images_per_s"] = batch_size / r.step_seconds;
      line["wait_s"] = r.wait_seconds;
      line["seconds"] = r.seconds;
      for (const auto& [name, v] : method->metrics()) line[name] = v;
      log_line(std::move(line));
    });
  }
  // Methods' own figures (wav2vec 2.0: code perplexity) as series in the
  // model file, a line every 100 steps, and the codebook collapse monitor.
  loop.after_step.push_back([&](const StepReport& r) {
    const auto metrics = method->metrics();
    if (metrics.empty()) return;
    for (const auto& [name, v] : metrics) extras.series[name].push_back(static_cast<float>(v));
    if (r.step % 100 == 0) {
      std::string line = "step " + std::to_string(r.step) + ":";
      char buf[64];
      for (const auto& [name, v] : metrics) {
        std::snprintf(buf, sizeof buf, " %s %.4g", name.c_str(), v);
        line += buf;
      }
      note(line);
    }
    // Every 50 steps, as the embedding monitor below.
    if (r.step % 50 == 0) {
      const std::string w = codebook_collapse_warning(metrics, r.step);
      if (!w.empty()) warn(w);
    }
  });
  loop.after_step.push_back([&](const StepReport& r) {
    // Methods without a pooled embedding (mlm) have nothing to monitor.
    if (r.step % 50 != 0 || !method->last_embedding.defined()) return;
    const std::string w = embedding_collapse_warning(method->last_embedding, r.step);
    if (!w.empty()) warn(w);
  });
  // kNN accuracy of the frozen encoder on labelled images, as training goes.
  std::optional<KnnMonitor> monitor;
  if (!o.monitor.empty()) {
    if (text || audio) throw UsageError("--monitor scores image encoders; " + in.name() + " is not an image file");
    if (io::is_same_file(o.monitor, o.input))
      warn("--monitor " + o.monitor + " is the training file itself: its kNN scores training rows, not held-out ones");
    monitor.emplace(in, o.monitor, config["normalize"]["mean"], config["normalize"]["std"], seed);
  }
  int64_t last_monitor = -1;
  auto score_monitor = [&](int64_t step, double seconds) {
    if (!monitor || step == last_monitor) return;
    last_monitor = step;
    const KnnMonitor::Scores acc = monitor->score(*method, dt);
    extras.series["monitor_step"].push_back(static_cast<float>(step));
    extras.series["monitor_seconds"].push_back(static_cast<float>(seconds));
    extras.series["monitor_knn"].push_back(static_cast<float>(acc.knn200));
    extras.series["monitor_knn20"].push_back(static_cast<float>(acc.knn20));
    char line[200];
    std::snprintf(line, sizeof line,
                  "after %lld steps (%.0f s): kNN accuracy %.4f (k=200, T=0.1), %.4f (k=20, T=0.07) on %zu images of %s",
                  static_cast<long long>(step + 1), seconds, acc.knn200, acc.knn20, monitor->queries(),
                  o.monitor.c_str());
    note(line);
    if (log)
      log_line({{"step", step}, {"seconds", seconds}, {"monitor_knn", acc.knn200}, {"monitor_knn20", acc.knn20}});
  };
  if (monitor)
    loop.after_step.push_back([&](const StepReport& r) {
      if ((r.step + 1) % o.monitor_every == 0) score_monitor(r.step, r.seconds);
    });
  // Reconstructions of a few fixed images, rewritten as training goes.
  std::optional<ReconstructionSamples> recon_samples;
  if (!o.recon.empty()) {
    if (info.mask_ratio <= 0) throw UsageError("--recon draws what a masked image model (mae) fills in; --method is " + method_name);
    recon_samples = reconstruction_samples(in, 8, mp.patch, info.mask_ratio, seed);  // takes the HDF5 lock
  }
  auto draw_reconstructions = [&] {
    if (recon_samples)
      write_reconstructions(*method, *recon_samples, config["normalize"]["mean"], config["normalize"]["std"], dt, o.recon,
                            io::Commit::now);
  };
  if (recon_samples && o.recon_every > 0)
    loop.after_step.push_back([&](const StepReport& r) {
      if ((r.step + 1) % o.recon_every == 0) draw_reconstructions();
    });
  // Masked accuracy and perplexity on the held-out rows and on as many
  // training rows, every eval_every steps and at the end.
  int64_t last_eval = -1;
  auto evaluate = [&](int64_t step) {
    if (!held || step == last_eval) return;
    last_eval = step;
    const MaskedScore h = evaluate_masked_lm(*method, *held->file, held->rows, seed, dt);
    const MaskedScore t = evaluate_masked_lm(*method, in, held->train_scored, seed, dt);
    for (auto [name, v] : {std::pair<const char*, double>{"eval_step", step}, {"eval_accuracy", h.accuracy},
                           {"eval_perplexity", h.perplexity}, {"eval_train_accuracy", t.accuracy},
                           {"eval_train_perplexity", t.perplexity}})
      extras.series[name].push_back(static_cast<float>(v));
    char line[200];
    std::snprintf(line, sizeof line, "after %lld steps: held-out masked accuracy %.4f, perplexity %.1f (train %.4f, %.1f)",
                  static_cast<long long>(step + 1), h.accuracy, h.perplexity, t.accuracy, t.perplexity);
    note(line);
    if (log)
      log_line({{"step", step}, {"eval_accuracy", h.accuracy}, {"eval_perplexity", h.perplexity},
                {"train_accuracy", t.accuracy}, {"train_perplexity", t.perplexity}});
  };
  if (held && o.eval_every > 0)
    loop.after_step.push_back([&](const StepReport& r) {
      if ((r.step + 1) % o.eval_every == 0) evaluate(r.step);
    });
  const std::vector<std::string> history = [&] {
    std::lock_guard<std::mutex> l(io::hdf5_mutex());
    auto h = in.history();
    h.push_back(o.command_line);
    return h;
  }();
  loop.checkpoint = [&](int64_t step, double seconds) {
    CheckpointExtras x = extras;
    x.config = config.dump();
    x.optimizer = opt->state();
    x.step = step;
    x.epoch = step / steps_per_epoch;
    x.seconds = seconds;
    x.history = history;
    std::lock_guard<std::mutex> l(io::hdf5_mutex());
    save_checkpoint(o.output, *method, x, io::Commit::now);
  };
  loop.checkpoint_every = o.checkpoint_every;
  method->set_training(true);
  io::catch_interrupts();
  const TrainResult r = train(loop);
  if (r.step > extras.step) evaluate(r.step - 1);
  if (r.step > extras.step) score_monitor(r.step - 1, r.seconds);
  loop.checkpoint(r.step, r.seconds);
  draw_reconstructions();
  char line[200];
  std::snprintf(line, sizeof line,
                "%lld steps in %.0f s; %.1f %% of step time waiting for data; batch preparation busy %.0f %% of the run",
                static_cast<long long>(r.step - extras.step), r.seconds - extras.seconds, 100 * r.wait_fraction,
                100 * (images ? images->busy_seconds() : tokens ? tokens->busy_seconds() : clips->busy_seconds()) /
                    std::max(1e-9, r.seconds - extras.seconds));
  note(line);
  // SSLKIT_PROFILE=1: where the steps went, op by op.
  if (nn::profile_enabled())
    for (const auto& row : nn::profile_rows()) {
      std::snprintf(line, sizeof line, "profile: %-28s %9.3f s %8ld calls", row.op.c_str(), row.seconds, row.calls);
      note(line);
    }
}

}  // namespace sslkit::train
