#include "apps/pretrain_config.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "augment/recipe.hpp"
#include "core/error.hpp"
#include "io/data_file.hpp"
#include "models/encoders.hpp"
#include "models/vit.hpp"
#include "nn/engine.hpp"
#include "train/modality.hpp"
#include "train/trainer.hpp"

namespace sslkit::train {

using json = nlohmann::ordered_json;
using Type = OptionSpec::Type;

PretrainFile read_pretrain_file(const io::DataReader& in) {
  PretrainFile f;
  f.name = in.name();
  f.modality = io::modality_name(in.modality());
  f.samples = static_cast<int64_t>(in.size());
  modality_for(in.modality()).read_facts(in, f);  // a UsageError for an embeddings file
  return f;
}

namespace {

// ---- Who an option is for: the reasons it does not apply ("" when it does).

std::string unless_modality(const RunFacts& f, const std::string& modality) {
  if (f.file.modality == modality) return "";
  return f.file.name + " is not " + (modality == "image" ? "an image" : "a " + modality) + " file";
}

// Methods that draw augmented views of raw images or clips: the others
// (mlm, wav2vec, a file of ssl-augment's views) have no recipe to apply.
std::string unless_augmenting(const RunFacts& f) {
  const std::string& m = f.method.name;
  if (f.method.views == 0) return "--method " + m + " augments nothing";
  if (f.file.views) return f.file.name + " holds views made by ssl-augment, used as they are";
  return "";
}

std::string unless_crops(const RunFacts& f) {
  if (!f.method.crops)
    return "--method " + std::string(f.method.name) + " takes " + std::to_string(f.method.views) + " view" +
           (f.method.views == 1 ? "" : "s") + " of each " + (f.file.modality == "image" ? "image" : "sample");
  return unless_modality(f, "image");
}

// "goes with --method emp or dino": the methods that take crops.
std::string crop_methods() {
  std::string names;
  for (const auto& m : methods::method_registry())
    if (m.pretrain && m.crops) names += std::string(names.empty() ? "" : " or ") + m.name;
  return "goes with --method " + names;
}

// Held-out masked-token scores need a method that masks tokens.
std::string unless_masked_lm(const RunFacts& f) {
  if (const std::string u = unless_modality(f, "text"); !u.empty()) return u;
  if (f.method.plain_tokens) return "--method " + std::string(f.method.name) + " masks no tokens";
  return "";
}

std::string unless_given(const RunFacts& f, const std::string& flag) {
  return f.given_option(flag) ? "" : flag + " is not given";
}

std::string number(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

std::string show(const json& v) {
  if (v.is_string()) return v.get<std::string>().empty() ? "none" : v.get<std::string>();
  if (v.is_number_float()) return number(v.get<double>());
  return v.dump();
}

// The tool's own rows, in the order a run is resolved (a row may look at
// the values of the rows above it).
std::vector<PretrainRow> tool_rows() {
  std::vector<PretrainRow> rows = {
      {{.flag = "--method", .key = "method", .type = Type::text,
        .help = "The objective; a file's modality has its own default (below)", .choices = methods::pretrain_method_names(),
        .defines_training = true}, "", nullptr},
      {{.flag = "--arch", .key = "arch", .type = Type::text, .fallback = "convnet-s",
        .help = models::arch_help(),
        .check = models::arch_problem, .value_name = "PRESET[:KEY=VALUE,...]", .defines_training = true},
       "", nullptr},
      {{.flag = "--epochs", .key = "epochs", .type = Type::integer, .fallback = 0,
        .help = "Epochs (10 unless --time-budget is given; the two exclude each other)", .min = 0, .max = 100000},
       "", nullptr},
      {{.flag = "--time-budget", .key = "time_budget", .type = Type::real, .fallback = 0.0,
        .help = "Seconds of training instead of --epochs; the schedule follows the elapsed time", .min = 0},
       "", nullptr},
      {{.flag = "--batch", .key = "batch", .type = Type::integer, .fallback = 256,
        .help = "Samples per step (images, sequences or clips)", .min = 2, .max = 65536, .defines_training = true},
       "", nullptr},
      {{.flag = "--optimizer", .key = "optimizer", .type = Type::text, .fallback = "adamw", .help = "sgd, lars or adamw",
        .choices = {"sgd", "lars", "adamw"}, .defines_training = true}, "", nullptr},
      {{.flag = "--lr", .key = "lr", .type = Type::real, .fallback = 1e-3, .help = "Peak learning rate", .min = 0,
        .open_min = true, .defines_training = true}, "", nullptr},
      {{.flag = "--weight-decay", .key = "weight_decay", .type = Type::real, .fallback = 1e-6,
        .help = "Weight decay (not on biases and norm parameters)", .min = 0, .defines_training = true}, "", nullptr},
      {{.flag = "--adam-beta2", .key = "adam_beta2", .type = Type::real, .fallback = 0.999,
        .help = "AdamW's second beta", .min = 0, .max = 1, .open_min = true, .defines_training = true},
       "goes with --optimizer adamw",
       [](const RunFacts& f) {
         const std::string opt = f.config.value("optimizer", std::string());
         return opt == "adamw" ? std::string() : "--optimizer is " + opt;
       }},
      {{.flag = "--warmup", .key = "warmup", .type = Type::real, .fallback = 0.05,
        .help = "Linear warmup, as a fraction of training, then cosine decay", .min = 0, .max = 0.9,
        .defines_training = true}, "", nullptr},
      {{.flag = "--precision", .type = Type::text, .fallback = "auto",
        .help = "f32, bf16 or auto (bf16 where oneDNN has bf16 kernels: AVX512-BF16 or AMX); --resume keeps the "
                "precision the run resolved to unless given again",
        .choices = {"f32", "bf16", "auto"}}, "", nullptr},
      {{.flag = "--recipe", .key = "recipe", .type = Type::text, .fallback = "",
        .help = "Augmentation recipe: simclr, mocov2, byol, rotation, audio, or ops such as 'crop(0.2,1) flip(0.5)'",
        .defines_training = true}, "augments raw images or clips", unless_augmenting},
      {{.flag = "--views", .key = "views", .type = Type::integer, .fallback = 16,
        .help = "Crops of each image per step, through the encoder together (at most 64; EMP-SSL's CIFAR runs use 20)",
        .min = 2, .max = 64, .defines_training = true}, crop_methods(), unless_crops},
      {{.flag = "--view-size", .key = "view_size", .type = Type::integer,
        .help = "Side in pixels the crops are resized to [default: half the images' side; EMP-SSL resizes to the "
                "full side, slower and, measured, worse]",
        .min = 4, .max = 4096, .defines_training = true}, crop_methods(), unless_crops},
      {{.flag = "--global-views", .key = "global_views", .type = Type::integer, .fallback = 0,
        .help = "Full-size views of each image added to the --views crops (multi-crop)", .min = 0, .max = 16,
        .defines_training = true}, crop_methods(), unless_crops},
      {{.flag = "--global-recipe", .key = "global_recipe", .type = Type::text,
        .fallback = "crop(0.25,1) flip(0.5) jitter(0.4,0.4,0.4,0.2,p=0.8) gray(0.2) solarize(128,p=0.1)",
        .help = "Augmentation recipe of the --global-views", .defines_training = true},
       "goes with --global-views",
       [](const RunFacts& f) {
         if (const std::string u = unless_crops(f); !u.empty()) return u;
         return f.config.value("global_views", 0) > 0 ? std::string() : "--global-views is 0";
       }},
      {{.flag = "--strength", .key = "strength", .type = Type::real, .fallback = 0.5,
        .help = "Color-jitter strength of the simclr recipe (0.5 for small images, as SimCLR's CIFAR runs)", .min = 0,
        .defines_training = true},
       "sets the simclr recipe's color jitter",
       [](const RunFacts& f) {
         if (const std::string u = unless_augmenting(f); !u.empty()) return u;
         const std::string recipe = f.config.value("recipe", std::string());
         const bool global_simclr = f.config.value("global_views", 0) > 0 && f.config.value("global_recipe", "") == "simclr";
         return recipe == "simclr" || global_simclr ? std::string() : "the recipe is " + recipe;
       }},
      {{.flag = "--patch", .key = "patch", .type = Type::integer, .fallback = 4,
        .help = "ViT: patch side in pixels (4: 49 patches of a 28x28 image); any that divides the images", .min = 1,
        .max = 4096, .defines_training = true},
       "cuts images for a ViT",
       [](const RunFacts& f) {
         const std::string arch = f.config.value("arch", std::string());
         if (models::is_vit_arch(arch)) return std::string();
         return "--arch " + arch + " is " + (models::arch_modality(arch) == "image" ? "convolutional" : "not an image encoder");
       }},
      {{.flag = "--eval-split", .key = "eval_split", .type = Type::real, .fallback = 0.0,
        .help = "Text: hold out this fraction of the rows (never trained on) and log masked-token accuracy and "
                "perplexity on them and on as many training rows; stored in the model file",
        .min = 0, .max = 0.5, .defines_training = true},
       "scores masked language models", unless_masked_lm},
      // The run's own options: not part of the training, free on --resume.
      {{.flag = "--checkpoint-every", .type = Type::integer, .fallback = 0,
        .help = "Write the model file every N steps (and at the end); 0: only at the end", .min = 0}, "", nullptr},
      // Continuing into the same file is how a run goes on: the checkpoint
      // is read whole before it is replaced, so -o may name it.
      {{.flag = "--resume", .type = Type::input, .fallback = "",
        .help = "Continue from this model file (same data, same settings); -o may name it", .rewritten_by = "-o"},
       "", nullptr},
      {{.flag = "--init", .type = Type::input, .fallback = "",
        .help = "Start a new run (its own --method, a new optimizer and schedule, step 0) from this model file's "
                "encoder weights, e.g. simcse after mlm; the encoder's shape is the model's unless --arch is given "
                "(it must then be the same), and the data must fit the model (same tokenizer, channels or rate)"},
       "", nullptr},
      {{.flag = "--max-steps", .type = Type::integer, .fallback = 0,
        .help = "Stop after this many steps of this run and write the model (resume later); 0: no limit", .min = 0},
       "", nullptr},
      {{.flag = "--sync-bn", .type = Type::flag, .fallback = false,
        .help = "Under mpirun: batch norm takes its statistics over the global batch, every rank's rows (PyTorch's "
                "SyncBatchNorm), so K ranks train as one process does; without it each rank normalises its own "
                "--batch/K rows. No effect on one process; not kept by --resume (give it again)"},
       "", nullptr},
      {{.flag = "--log-json", .type = Type::output, .fallback = "",
        .help = "Write per-step JSON lines (step, loss, lr, samples/s) to this file ('-' for stdout): a fresh run "
                "replaces it, --resume appends",
        .binary = false}, "", nullptr},
      {{.flag = "--eval", .type = Type::input, .fallback = "",
        .help = "Text: held-out text file (same tokenizer) to score instead of --eval-split"},
       "scores masked language models", unless_masked_lm},
      {{.flag = "--eval-every", .type = Type::integer, .fallback = 100,
        .help = "Steps between held-out evaluations (and one at the end); 0: only at the end", .min = 0},
       "goes with --eval or --eval-split",
       [](const RunFacts& f) {
         if (const std::string u = unless_modality(f, "text"); !u.empty()) return u;
         return f.config.value("eval_split", 0.0) > 0 || f.given_option("--eval") ? std::string()
                                                                                 : "neither is given";
       }},
      {{.flag = "--monitor", .type = Type::input, .fallback = "",
        .help = "Labelled rows of the training data's kind (images, text of the same tokenizer, audio) to score every "
                "--monitor-every steps and at the end by kNN (k=200, T=0.1; and k=20, T=0.07) on the frozen "
                "encoder, with the training file's labelled rows (up to 10,000) or --monitor-bank's as neighbours; "
                "logged with --log-json and stored in the model file (train/monitor_knn)"},
       "", nullptr},
      {{.flag = "--monitor-bank", .type = Type::input, .fallback = "",
        .help = "Labelled rows whose embeddings are --monitor's neighbours, for unlabelled training data (a text "
                "corpus: the labelled task's training file)"},
       "goes with --monitor", [](const RunFacts& f) { return unless_given(f, "--monitor"); }},
      {{.flag = "--monitor-every", .type = Type::integer, .fallback = 500,
        .help = "Steps between --monitor scores", .min = 1},
       "goes with --monitor", [](const RunFacts& f) { return unless_given(f, "--monitor"); }},
      {{.flag = "--recon", .type = Type::output, .fallback = "",
        .help = "mae: write a PNG of 8 fixed images (original, masked, reconstruction, with visible patches) every "
                "--recon-every steps and at the end"},
       "draws what a masked image model (mae) fills in",
       [](const RunFacts& f) {
         return f.method.mask_ratio > 0 ? std::string() : "--method is " + std::string(f.method.name);
       }},
      {{.flag = "--recon-every", .type = Type::integer, .fallback = 500,
        .help = "Steps between reconstructions (0: only at the end)", .min = 0},
       "goes with --recon", [](const RunFacts& f) { return unless_given(f, "--recon"); }},
  };
  return rows;
}

// Each method's own options, one row per flag however many methods declare
// it; it applies to those methods only.
std::vector<PretrainRow> method_rows() {
  std::vector<PretrainRow> rows;
  for (const auto& m : methods::method_registry()) {
    if (!m.pretrain) continue;
    for (const OptionSpec& o : m.options) {
      auto it = std::find_if(rows.begin(), rows.end(), [&](const PretrainRow& r) { return r.spec.flag == o.flag; });
      if (it == rows.end()) {
        rows.push_back({o, "goes with --method", nullptr});
        it = rows.end() - 1;
        it->spec.defines_training = true;

      } else {
        it->applies_to += " or";
      }
      it->applies_to += std::string(" ") + m.name;
    }
  }
  for (PretrainRow& r : rows) {
    r.spec.help = r.applies_to.substr(std::string("goes with --method ").size()) + ": " + r.spec.help;
    const std::string flag = r.spec.flag;
    r.unless = [flag](const RunFacts& f) {
      for (const OptionSpec& o : f.method.options)
        if (o.flag == flag) return std::string();
      return "--method is " + std::string(f.method.name);
    };
  }
  return rows;
}

// A default the run takes from the modality, else the method, else the
// table (the rule of the header); null when none of them has one. A method
// of one modality comes before it: its row was written for those files
// (skipgram's bag of tokens over text's bert-mini), where a method of
// several (simclr on audio) takes each modality's own recipe.
json layered_default(const std::string& key, const methods::RunDefaults& modality, const methods::MethodInfo& m,
                     const json& fallback) {
  const json md = methods::to_json(modality), own = methods::to_json(m.defaults);
  const bool one_modality = std::string(m.modality).find(' ') == std::string::npos;
  if (one_modality && own.contains(key)) return own[key];
  if (md.contains(key)) return md[key];
  if (own.contains(key)) return own[key];
  return fallback;
}

void refuse(const PretrainRow& r, const std::string& why) {
  throw UsageError(r.spec.flag + " " + r.applies_to + "; " + why);
}

// Every option given applies to the run, or the run is refused.
void check_applies(const json& given, const RunFacts& facts) {
  if (const std::string why = inapplicable(pretrain_options(), given, facts); !why.empty()) throw UsageError(why);
}

const methods::MethodInfo& checked_method(const std::string& name, const PretrainFile& file) {
  const methods::MethodInfo& info = methods::method_info(name);
  if (info.pretrain && methods::trains_on(info, file.modality)) return info;
  // "a.h5 holds audio (wav2vec, simclr)": what the file is, and what trains on it.
  std::string methods_for_it;
  for (const auto& m : methods::method_registry())
    if (m.pretrain && methods::trains_on(m, file.modality))
      methods_for_it += std::string(methods_for_it.empty() ? "" : ", ") + m.name;
  throw UsageError("--method " + name + " trains " + methods::modality_list(info) + " files; " + file.name + " " +
                   io::modality_phrase(modality_for(file.modality).kind()) + " (" + methods_for_it + ")");
}

// Equal values; numbers within float rounding (a temperature is stored as
// the float the method holds).
bool same_value(const json& a, const json& b) {
  if (a.is_number() && b.is_number())
    return std::fabs(a.get<double>() - b.get<double>()) <= 1e-6 * std::max(1.0, std::fabs(b.get<double>()));
  return a == b;
}

// Options that define the training, given with --resume, must agree with
// the checkpoint (the run's own options may change), and so must the data;
// a resumed run ends the way its training was planned.
void check_resume(const json& given, const PretrainFile& file, const json& config, const std::string& resume) {
  auto differs = [&](const std::string& flag, const std::string& key) {
    if (!given.contains(flag) || !config.contains(key) || same_value(config[key], given[flag])) return;
    const json& value = given[flag];
    throw UsageError(flag + " " + (value.is_string() ? value.get<std::string>() : value.dump()) +
                     " differs from the checkpoint's " + config[key].dump() + " (" + resume +
                     "); resume continues one training, start a new one to change it");
  };
  for (const PretrainRow& r : pretrain_options())
    if (r.spec.defines_training) differs(r.spec.flag, r.spec.key);
  differs("--seed", "seed");
  if (config.contains("data")) {
    const json& d = config["data"];
    if (d["samples"] != file.samples || (d.contains("shape") && d["shape"] != file.shape))
      throw UsageError(file.name + ": is not the data " + resume + " was trained on (" + d.dump() +
                       "); resume continues one training on one file");
  }
  const int planned_epochs = config.value("epochs", 0);
  const double planned_budget = config.value("time_budget", 0.0);
  const bool by_time = planned_epochs == 0 && planned_budget > 0;
  const int epochs = planned_epochs > 0 ? planned_epochs : kDefaultEpochs;
  const int given_epochs = given.value("--epochs", 0);
  if (given.value("--time-budget", 0.0) > 0 && !by_time)
    throw UsageError("--time-budget: " + resume + " trains for " + std::to_string(epochs) +
                     " epochs; a resumed run ends as it was planned: give more --epochs");
  if (given_epochs > 0 && by_time)
    throw UsageError("--epochs: " + resume + " trains for a time budget of " + number(planned_budget) +
                     " s; a resumed run ends as it was planned: give a longer --time-budget");
  if (given.contains("--epochs") && !by_time && given_epochs < epochs)
    throw UsageError("--epochs " + std::to_string(given_epochs) + " is fewer than the checkpoint's " +
                     std::to_string(epochs) + "; a resumed run may only train longer");
}

// The run's own options (not stored with the model), each given or its default.
json run_options(const json& given) {
  json run = json::object();
  for (const PretrainRow& r : pretrain_options())
    if (r.spec.key.empty()) run[r.spec.flag] = given.contains(r.spec.flag) ? given[r.spec.flag] : r.spec.fallback;
  return run;
}

PretrainPlan resume_plan(const json& given, const PretrainFile& file, const json& resumed, const std::string& resume) {
  json config = resumed;
  // A fine-tuned model keeps no pretraining state (optimizer, schedule,
  // batch): there is nothing for ssl-pretrain to continue.
  const std::string method = config.value("method", std::string());
  const auto& rows = methods::method_registry();
  if (std::any_of(rows.begin(), rows.end(), [&](const methods::MethodInfo& m) { return m.name == method && !m.pretrain; }))
    throw Error(resume, "a fine-tuned model (" + method + ") cannot be resumed by ssl-pretrain; resume a pretrained model");
  // An option that does not apply is named as such before any disagreement.
  check_applies(given, RunFacts{file, methods::method_info(method), config, given});
  check_resume(given, file, config, resume);
  if (given.contains("--epochs")) config["epochs"] = given["--epochs"];
  if (given.contains("--time-budget")) config["time_budget"] = given["--time-budget"];
  PretrainPlan plan{config, run_options(given)};
  // The precision the run resolved to (its /config "precision") is part of
  // the run: `auto` resolved again, or on another machine, would continue
  // another training. Given again, it is the user's choice.
  if (!given.contains("--precision") && config.contains("precision")) {
    const std::string kept = config["precision"];
    if (kept == "bf16" && !nn::cpu_supports_bf16())
      throw UsageError("--resume " + resume + " trained in bf16 and keeps it, but oneDNN has no bf16 kernels for " +
                       nn::cpu_isa_name() + ": give --precision f32 to continue in f32");
    plan.run["--precision"] = kept;
  }
  return plan;
}

}  // namespace

const std::vector<PretrainRow>& pretrain_options() {
  static const std::vector<PretrainRow> table = [] {
    std::vector<PretrainRow> rows = tool_rows();
    for (PretrainRow& r : method_rows()) rows.push_back(std::move(r));
    return rows;
  }();
  return table;
}

std::vector<OptionSpec> pretrain_option_specs() {
  std::vector<OptionSpec> specs;
  for (const PretrainRow& r : pretrain_options()) {
    OptionSpec s = r.spec;
    // Where a modality or a method has its own default, the help says so.
    std::string d;
    if (!r.spec.fallback.is_null() && r.spec.type != Type::flag) d = show(r.spec.fallback);
    if (r.spec.type == Type::flag) d = r.spec.fallback.get<bool>() ? "on" : "off";
    if (!r.spec.key.empty()) {
      for (const Modality* mod : all_modalities()) {
        const json md = methods::to_json(mod->pretrain_defaults());
        if (md.contains(r.spec.key))
          d += std::string(d.empty() ? "" : "; ") + io::modality_name(mod->kind()) + " files " + show(md[r.spec.key]);
      }
      for (const auto& m : methods::method_registry()) {
        if (!m.pretrain) continue;
        const json own = methods::to_json(m.defaults);
        if (own.contains(r.spec.key))
          d += std::string(d.empty() ? "" : "; ") + m.name + " " + show(own[r.spec.key]);
        if (r.spec.key == "lr" && own.contains("lr_per_256"))
          d += std::string("; ") + m.name + " " + show(own["lr_per_256"]) + " x batch/256";
      }
    }
    if (!d.empty() && r.spec.type != Type::input && r.spec.type != Type::output) s.help += " [default " + d + "]";
    specs.push_back(std::move(s));
  }
  return specs;
}

namespace {

PretrainPlan new_plan(const json& given, const PretrainFile& file, const json* init = nullptr,
                      const std::string& init_path = "");

// A model ssl-import model wrote (a published checkpoint) holds no training
// of sslkit's to continue: no optimizer state, schedule or batch. --resume
// of it starts a new run of its method from its weights, with the options
// given as for any new run, and keeps what the model is: its encoder, its
// method's own shape (MAE's decoder), its pixel normalisation.
PretrainPlan start_from_import(const json& given, const PretrainFile& file, const json& model,
                               const std::string& resume) {
  const methods::MethodParams mp = methods::read_params(model, resume);
  const std::string method = model.at("method");
  json run_given = given;
  run_given["--method"] = method;
  run_given["--arch"] = mp.arch;
  for (const PretrainRow& r : pretrain_options()) {
    const bool is_model = r.spec.key == "arch" || r.spec.key == "patch" || mp.own.contains(r.spec.key) ||
                          (r.spec.key == "norm_pix" && method == "mae");
    if (is_model && given.contains(r.spec.flag))
      throw UsageError(r.spec.flag + ": --resume " + resume + " is an imported " + method +
                       " model and keeps its own (start from its weights as they are)");
    if (r.spec.key == "method" && given.contains(r.spec.flag) && given[r.spec.flag] != method)
      throw UsageError("--method " + given[r.spec.flag].get<std::string>() + ": --resume " + resume + " is a " +
                       method + " model");
  }
  // An imported audio model hears at its checkpoint's rate (its
  // preprocessor_config.json), as ssl-embed and ssl-finetune insist too.
  if (model.contains("sample_rate") && file.config.contains("sample_rate") &&
      model["sample_rate"] != file.config["sample_rate"])
    throw UsageError(file.name + " is audio at " + file.config["sample_rate"].dump() + " Hz; " + resume +
                     " was trained at " + model["sample_rate"].dump() + " Hz (import it with --sample-rate " +
                     model["sample_rate"].dump() + ")");
  if (model.contains("input_shape") && file.config.contains("input_shape") &&
      model["input_shape"] != file.config["input_shape"])
    throw Error(file.name, "has " + file.config["input_shape"].dump() + " images; " + resume + " (imported) takes " +
                               model["input_shape"].dump() + ", its checkpoint's image_size");
  PretrainPlan plan = new_plan(run_given, file);
  methods::write_params(mp, plan.config);
  for (const char* key : {"normalize", "imported"})
    if (model.contains(key)) plan.config[key] = model[key];
  return plan;
}

}  // namespace

PretrainPlan resolve_pretrain(const json& given, const PretrainFile& file, const json* resumed, const std::string& resume,
                              const json* init, const std::string& init_path) {
  if (given.contains("--init") && given.contains("--resume"))
    throw UsageError("--init starts a new run from a model's encoder and --resume continues a run: give one of them");
  if (given.contains("--eval") && given.contains("--eval-split"))
    throw UsageError("--eval and --eval-split exclude each other: score a held-out file or rows of this one");
  check_run_length(given.value("--epochs", 0) > 0, given.value("--time-budget", 0.0) > 0);
  if (resumed && resumed->contains("imported") && !resumed->contains("optimizer"))
    return start_from_import(given, file, *resumed, resume);
  if (resumed) return resume_plan(given, file, *resumed, resume);
  return new_plan(given, file, init, init_path);
}

namespace {

PretrainPlan new_plan(const json& given_options, const PretrainFile& file, const json* init,
                      const std::string& init_path) {
  // --init: the model's encoder shape unless --arch says otherwise (its
  // weights must then still fit: train/init_encoder checks them).
  std::optional<methods::MethodParams> from;
  json given = given_options;
  if (init) {
    // What it encodes, first: the shape it would give is no use otherwise.
    const std::string kind = io::modality_name(model_modality(*init, init_path));
    if (kind != file.modality)
      throw UsageError("--init " + init_path + " is " + (kind == "text" ? "a " : "an ") + kind + " model; " + file.name +
                       " " + io::modality_phrase(modality_for(file.modality).kind()));
    from = methods::read_params(*init, init_path);
    if (!given.contains("--arch")) {
      given["--arch"] = from->arch;
      if (from->encoder->kind == models::EncoderKind::vit && !given.contains("--patch")) given["--patch"] = from->patch;
    }
  }
  const methods::RunDefaults& modality = modality_for(file.modality).pretrain_defaults();
  const methods::MethodInfo& info = checked_method(
      given.contains("--method") ? given["--method"].get<std::string>() : *modality.method, file);
  json config = json::object();
  const RunFacts facts{file, info, config, given};
  for (const PretrainRow& r : pretrain_options()) {
    if (r.spec.key.empty()) continue;
    if (r.unless) {
      if (const std::string why = r.unless(facts); !why.empty()) {
        if (given.contains(r.spec.flag)) refuse(r, why);
        continue;
      }
    }
    const std::string& key = r.spec.key;
    if (given.contains(r.spec.flag)) {
      config[key] = given[r.spec.flag];
    } else if (key == "method") {
      config[key] = info.name;
    } else if (key == "lr") {
      // A plain lr where one is the default, else MAE's rule: base x batch / 256.
      const json lr = layered_default("lr", modality, info, nullptr),
                 per256 = layered_default("lr_per_256", modality, info, nullptr);
      config[key] = !lr.is_null()       ? lr
                    : !per256.is_null() ? json(per256.get<double>() * config["batch"].get<double>() / 256)
                                        : r.spec.fallback;
    } else if (key == "view_size") {
      // Half the images' side unless told: 14 x 14 crops of a 28 x 28 image
      // trained to linear 0.884 / kNN 0.803 in 5 minutes against 0.851 /
      // 0.758 for EMP's own crops resized back to 28 (docs/methods.md).
      config[key] = std::max<int64_t>(4, file.shape[file.views ? 2 : 1].get<int64_t>() / 2);
    } else {
      config[key] = layered_default(key, modality, info, r.spec.fallback);
    }
    if (key == "arch") models::check_arch_modality(config[key], file.modality, file.name);
  }
  if (config.value("global_views", 0) > 0) {
    try {  // a bad recipe fails here, before any training, naming the option
      augment::make_recipe(config["global_recipe"], config.value("strength", 0.5));
    } catch (const UsageError& e) {
      throw UsageError(std::string("--global-recipe: ") + e.what());
    }
  }
  check_applies(given, facts);  // the run options
  for (const auto& [key, value] : file.config.items()) config[key] = value;  // input_shape, sample_rate
  config["seed"] = given.value("--seed", uint64_t{0});
  config["data"] = {{"file", file.name}, {"samples", file.samples}, {"shape", file.shape}};

  // What the method is built from.
  methods::MethodParams mp;
  mp.arch = config["arch"];
  if (file.in_channels > 0) mp.in_channels = file.in_channels;
  if (file.vocab_size > 0) mp.vocab_size = file.vocab_size;
  if (file.max_len > 0) mp.max_len = file.max_len;
  mp.temperature = config.value("temperature", mp.temperature);
  mp.norm_pix = config.value("norm_pix", mp.norm_pix);
  mp.patch = config.value("patch", mp.patch);
  if (from) {
    if (!given_options.contains("--arch")) mp.encoder = methods::encoder_shape(*from);  // its exact shape
    // The positions it learnt (it takes the file's sequences: checked when loaded).
    if (from->max_len > 0) mp.max_len = from->max_len;
    json origin{{"file", init_path}, {"method", init->value("method", std::string())}, {"arch", from->arch}};
    if (init->contains("run_id")) origin["run_id"] = (*init)["run_id"];
    config["init"] = origin;
  }
  // A method's --dropout is its text encoder's (simcse: the two views).
  if (config.contains("dropout")) {
    models::EncoderShape shape = methods::encoder_shape(mp);
    shape.dropout = config["dropout"].get<double>();
    mp.encoder = shape;
  }
  methods::size_projector(info, mp);  // after the encoder's shape is set
  for (const OptionSpec& o : info.options) mp.own[o.key] = config[o.key];
  methods::write_params(mp, config);
  return {config, run_options(given)};
}

}  // namespace

}  // namespace sslkit::train
