#include "apps/finetune.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "core/error.hpp"
#include "io/same_kind.hpp"
#include "methods/method.hpp"
#include "nn/engine.hpp"
#include "nn/optim.hpp"
#include "train/checkpoint.hpp"
#include "train/modality.hpp"
#include "train/trainer.hpp"

namespace sslkit::train {

using json = nlohmann::ordered_json;

namespace {

// Labels of a train and a test file: the class count, or an error naming
// the file without labels.
int class_count(const io::DataReader& tr, const io::DataReader& te, const std::vector<int32_t>& ytr,
                const std::vector<int32_t>& yte) {
  if (std::none_of(ytr.begin(), ytr.end(), [](int32_t y) { return y >= 0; }))
    throw Error(tr.name(), "has no labels; full fine-tuning needs /labels");
  if (std::none_of(yte.begin(), yte.end(), [](int32_t y) { return y >= 0; }))
    throw Error(te.name(), "has no labels to evaluate against");
  const int K = eval::num_classes(ytr, yte);
  if (K < 2) throw Error(tr.name(), "needs labels of at least two classes");
  return K;
}

// Writes the fine-tuned model to -o: `config` (its method set) with the
// model's parameters, where it came from, its label fraction and precision;
// `x` holds the step counts (and a text model's tokenizer).
void save_finetuned(const FullFinetuneOptions& o, methods::Method& model, json config, const methods::MethodParams& mp,
                    const io::DataReader& tr, nn::DType dt, CheckpointExtras x) {
  const eval::FinetuneOptions& r = o.report;
  methods::write_params(mp, config);
  config["finetuned_from"] = r.model.empty() ? "scratch" : r.model;
  config["label_fraction"] = r.label_fraction;
  config["precision"] = nn::dtype_name(dt);
  x.config = config.dump();
  x.history = tr.history();
  x.history.push_back(o.command_line);
  save_checkpoint(o.output, model, x);
}

// Trains `model` by `loss` on `next_batch` for total_steps, or for `seconds` when
// total_steps is 0: warmup over 10 % (at most 200 steps), then cosine.
TrainResult run_finetune_loop(methods::Method& model, nn::Optimizer& opt, double lr, int64_t total_steps,
                              double seconds, const std::function<methods::Batch()>& next_batch,
                              const std::function<nn::Var(const methods::Batch&)>& loss) {
  TrainLoop loop;
  loop.optimizer = &opt;
  loop.schedule = {lr, total_steps > 0 ? std::min(0.1, 200.0 / static_cast<double>(total_steps)) : 0.1};
  loop.budget.total_steps = total_steps;
  loop.budget.seconds = seconds;
  loop.progress = "finetune";
  loop.subject = "ssl-finetune";
  loop.next_batch = next_batch;
  loop.loss = loss;
  model.set_training(true);
  const TrainResult done = train(loop);
  model.set_training(false);
  return done;
}

}  // namespace

eval::Metrics run_full_finetune(const FullFinetuneOptions& o) {
  const eval::FinetuneOptions& r = o.report;
  if (r.eval.empty()) throw UsageError("--eval TEST_IMAGES is required");
  if (!(r.label_fraction > 0 && r.label_fraction <= 1)) throw UsageError("--label-fraction must be in (0, 1]");
  if (r.raw_pixels || r.log_mel || r.bag_of_words)
    throw UsageError(std::string(r.raw_pixels ? "--raw-pixels" : r.log_mel ? "--log-mel" : "--bag-of-words") +
                     " does not go with --mode full (it trains an encoder)");
  if (!r.model.empty() && o.given.count("--arch"))
    throw UsageError("--arch chooses the encoder trained from scratch; " + r.model + " brings its own");
  check_run_length(o.given.count("--epochs") > 0, o.time_budget > 0);
  nn::init_engine();
  const nn::DType dt = nn::resolve_precision(o.precision);
  io::DataReader tr(r.train), te(r.eval);
  io::check_same_kind(tr, te);
  const Modality& mod = modality_for(tr.modality());
  FinetunePlan p = mod.plan_finetune(o, tr, te);
  const std::vector<int32_t> ytr = tr.labels(), yte = te.labels();
  p.params.num_classes = class_count(tr, te, ytr, yte);
  p.input.dtype = dt;
  p.features.dtype = dt;

  Rng init(r.seed, 0xF17E);
  auto model = methods::make_method(p.method, p.params, init);
  if (!r.model.empty()) mod.load_encoder(*model, r.model);
  // From scratch the same optimizer runs, so the comparison with a
  // pretrained encoder changes only the initial weights.
  nn::AdamW opt(mod.finetune_groups(*model, p, o.backbone_lr_scale), p.lr);

  BatchPlan& b = p.batches;
  b.rows = eval::labelled_subset(ytr, r.label_fraction, r.seed);
  b.batch = modality_detail::finetune_batch(o, b.batch, b.rows.size());
  b.seed = r.seed;
  b.targets = ytr;
  b.dtype = dt;
  b.params = p.params;
  const std::unique_ptr<BatchSource> batches = mod.batches(tr, b);
  const int64_t total = o.time_budget > 0 ? 0 : batches->steps_per_epoch() * o.epochs;
  const TrainResult done = run_finetune_loop(*model, opt, p.lr, total, o.time_budget, [&] { return batches->next(); },
                                             [&](const methods::Batch& x) { return head_loss(mod, *model, x, p.features); });

  eval::Metrics m = eval::score(predict_classes(mod, *model, te, p.input, p.features), yte, p.params.num_classes);
  m.class_names = tr.class_names();
  json selected = {{"steps", done.step}, {"seconds", done.seconds}, {"batch", b.batch}, {"lr", p.lr},
                   {"weight_decay", p.weight_decay}};
  if (total > 0) selected["epochs"] = o.epochs;
  for (const auto& [key, value] : p.report.items()) selected[key] = value;
  selected["final_loss"] = done.last_loss;
  selected["init"] = r.model.empty() ? "scratch" : r.model;
  eval::FinetuneOptions report = r;
  report.mode = "full";
  eval::write_report(m, report, selected.dump());
  if (!o.output.empty()) {
    p.config["method"] = p.method;
    p.extras.step = done.step;
    p.extras.epoch = done.step / batches->steps_per_epoch();
    p.extras.seconds = done.seconds;
    save_finetuned(o, *model, p.config, p.params, tr, dt, p.extras);
  }
  return m;
}

}  // namespace sslkit::train
