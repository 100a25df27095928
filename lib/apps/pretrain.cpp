#include "apps/pretrain.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <random>

#include "nn/profile.hpp"
#include "core/dist.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "io/data_file.hpp"
#include "io/files.hpp"
#include "io/log_file.hpp"
#include "io/model_file.hpp"
#include "methods/method.hpp"
#include "nn/engine.hpp"
#include "nn/optim.hpp"
#include "nn/sync_batchnorm.hpp"
#include "train/checkpoint.hpp"
#include "train/held_out.hpp"
#include "train/init_encoder.hpp"
#include "train/modality.hpp"
#include "apps/pretrain_config.hpp"
#include "train/knn_monitor.hpp"
#include "train/collapse.hpp"
#include "train/reconstruct.hpp"
#include "train/gradient_sync.hpp"
#include "train/trainer.hpp"
#include "methods/registry.hpp"
#include "train/trained_model.hpp"

namespace sslkit::train {

using json = nlohmann::ordered_json;

namespace {

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

// One pretraining run: what the resolved configuration says, built, with
// the hooks around the trainer each added by one function.
class PretrainRun {
 public:
  PretrainRun(const PretrainRequest& request, io::DataReader& in, PretrainFile file, PretrainPlan plan);
  void add_log();
  void add_method_figures();
  void add_monitor();
  void add_reconstructions();
  void add_held_out();
  void train_and_save();

 private:
  void save(int64_t step, double seconds);
  void log_line(json line);
  const PretrainRequest& request_;
  io::DataReader& in_;
  json config_;
  const json run_;
  const PretrainFile file_;
  const Modality& modality_;
  const std::string resume_;
  const nn::DType dt_;
  const methods::MethodInfo* info_ = nullptr;
  bool sync_bn_ = false;  // --sync-bn over K > 1 ranks
  methods::MethodParams mp_;
  std::unique_ptr<methods::Method> method_;
  std::unique_ptr<nn::Optimizer> opt_;
  CheckpointExtras extras_;
  std::unique_ptr<HeldOut> held_;  // null: the modality scores nothing held out
  std::unique_ptr<BatchSource> batches_;  // of the file's modality: the trainer sees only batches
  std::vector<std::string> history_;
  TrainLoop loop_;
  std::optional<io::LogFile> log_;
  std::optional<KnnMonitor> monitor_;
  std::optional<ReconstructionSamples> recon_samples_;
  using AtEnd = std::function<void(int64_t step, double seconds)>;
  std::vector<AtEnd> final_scores_;  // after the last step, when one was taken
  std::vector<AtEnd> after_save_;    // after the model is written
};

PretrainRun::PretrainRun(const PretrainRequest& request, io::DataReader& in, PretrainFile file, PretrainPlan plan)
    : request_(request), in_(in), config_(std::move(plan.config)), run_(std::move(plan.run)),
      file_(std::move(file)), modality_(modality_for(file_.modality)),
      resume_(run_["--resume"]), dt_(nn::resolve_precision(run_["--precision"])) {
  note(std::string("precision ") + nn::dtype_name(dt_) + " (" + nn::cpu_isa_name() + ")");
  modality_.prepare_pretrain(in, config_);
  config_["precision"] = nn::dtype_name(dt_);
  // Runs appending to one --log-json are told apart by this id on every
  // line; a resumed run keeps its checkpoint's, so its lines stay one run.
  if (!config_.contains("run_id")) config_["run_id"] = new_run_id();
  info_ = &methods::method_info(config_["method"]);
  mp_ = methods::read_params(config_);
  const uint64_t seed = config_["seed"];
  Rng init_rng(seed, 0x1417);
  method_ = methods::make_method(info_->name, mp_, init_rng);
  // --init: the encoder from another model file; the rest is this run's.
  if (const std::string init = run_["--init"]; !init.empty()) {
    init_encoder_from(init, *method_, in);
    note("encoder from " + init + " (" + config_["init"].value("method", std::string()) + ")");
  }
  if (run_["--sync-bn"].get<bool>()) {
    // An option is never taken and then ignored: a model without batch norm
    // has nothing to synchronise.
    const auto buffers = method_->named_buffers();
    if (std::none_of(buffers.begin(), buffers.end(), [](const auto& b) { return b.first.ends_with("running_mean"); }))
      throw UsageError("--sync-bn: --method " + config_["method"].get<std::string>() + " --arch " +
                       config_["arch"].get<std::string>() + " has no batch norm to synchronise");
    sync_bn_ = dist::size() > 1;  // one process: its batch is the global one already
  }
  opt_ = make_optimizer(config_["optimizer"], *method_, config_["lr"], config_["weight_decay"],
                        config_.value("adam_beta2", 0.999));
  if (!resume_.empty() && config_.contains("imported") && io::ModelReader(resume_).names("optimizer").empty()) {
    // An imported model (ssl-import model): its weights, a new schedule.
    load_checkpoint(resume_, *method_);
    extras_.tokenizer = io::ModelReader(resume_).bytes("tokenizer");
  } else if (!resume_.empty()) {
    extras_.optimizer = opt_->state();
    load_checkpoint(resume_, *method_, &extras_);
    opt_->set_steps(extras_.step);
  }
  {
    // Held out of the input (fixed by the config, so a resumed run trains on
    // the same rows) or another file of the same kind (--eval).
    const std::string eval_arg = run_["--eval"];
    const std::string eval_file = !eval_arg.empty() ? eval_arg : config_.value("eval_file", std::string());
    if (!eval_file.empty()) config_["eval_file"] = eval_file;
    held_ = modality_.held_out(in, eval_file, config_.value("eval_split", 0.0), seed, config_["batch"]);
    if (held_) {
      config_["eval"] = held_->summary();
      note(held_->describe());
    }
  }
  modality_.model_extras(in, extras_);
  BatchPlan batch_plan;
  batch_plan.batch = config_["batch"];
  batch_plan.seed = seed;
  batch_plan.dtype = dt_;
  batch_plan.first_step = extras_.step;
  if (held_) batch_plan.rows = held_->train_rows();
  batch_plan.config = config_;
  batch_plan.params = mp_;
  batch_plan.method = info_;
  batches_ = modality_.batches(in, batch_plan);
  history_ = [&] {
    auto h = in.history();
    h.push_back(request.command_line);
    return h;
  }();

  const int epochs = config_["epochs"];
  const double budget = config_["time_budget"];
  loop_.optimizer = opt_.get();
  loop_.schedule = {config_["lr"], config_["warmup"]};
  const int64_t steps_per_epoch = batches_->steps_per_epoch();
  loop_.budget.total_steps = epochs > 0 ? epochs * steps_per_epoch : (budget > 0 ? 0 : kDefaultEpochs * steps_per_epoch);
  loop_.budget.seconds = budget;
  loop_.budget.seconds_done = extras_.seconds;
  loop_.budget.max_steps = run_["--max-steps"];
  loop_.start_step = extras_.step;
  loop_.progress = "pretrain " + std::string(info_->name);
  loop_.subject = request.output;
  loop_.data = in.name();
  loop_.next_batch = [this] { return batches_->next(); };
  loop_.loss = [this](const methods::Batch& b) { return method_->loss(b); };
  loop_.loss_weight = loss_terms;
  loop_.after_step.push_back([this](const StepReport& r) { method_->after_step(r.fraction); });
  loop_.after_step.push_back([this](const StepReport& r) {
    extras_.loss.push_back(r.loss);
    extras_.lr.push_back(static_cast<float>(r.lr));
  });
  loop_.checkpoint = [this](int64_t step, double seconds) { save(step, seconds); };
  loop_.checkpoint_every = run_["--checkpoint-every"];
}

void PretrainRun::log_line(json line) {
  if (!log_) return;
  line["run_id"] = config_["run_id"];
  log_->line(line.dump());
}

// --log-json: a resumed run continues its log; a fresh one replaces what
// the file held, so one log is one run (docs/tools.md).
void PretrainRun::add_log() {
  const std::string path = run_["--log-json"];
  if (path.empty()) return;
  log_.emplace(path, resume_.empty() ? io::LogStart::replace : io::LogStart::append);
  const double units_per_step = config_["batch"].get<double>() * file_.units_per_row;
  loop_.after_step.push_back([this, units_per_step](const StepReport& r) {
    json line{{"step", r.step}, {"loss", r.loss}, {"lr", r.lr}};
    line[file_.throughput_key] = units_per_step / r.step_seconds;
    line["wait_s"] = r.wait_seconds;
    line["seconds"] = r.seconds;
    if (dist::size() > 1) {
      // Under mpirun: what the step spent in MPI and handed to it (rank 0's).
      line["ranks"] = dist::size();
      line["comm_s"] = r.comm_seconds;
      line["comm_bytes"] = r.comm_bytes;
    }
    for (const auto& [name, v] : method_->metrics()) line[name] = v;
    log_line(std::move(line));
  });
}

// Methods' own figures (wav2vec 2.0: code perplexity) as series in the
// model file, a line every 100 steps, and the collapse monitors of the
// codebook and of the embeddings, every 50 steps.
void PretrainRun::add_method_figures() {
  loop_.after_step.push_back([this](const StepReport& r) {
    const auto metrics = method_->metrics();
    if (metrics.empty()) return;
    for (const auto& [name, v] : metrics) extras_.series[name].push_back(static_cast<float>(v));
    if (r.step % 100 == 0) {
      std::string line = "step " + std::to_string(r.step) + ":";
      char buf[64];
      for (const auto& [name, v] : metrics) {
        std::snprintf(buf, sizeof buf, " %s %.4g", name.c_str(), v);
        line += buf;
      }
      note(line);
    }
    if (r.step % 50 == 0) {
      const std::string w = codebook_collapse_warning(metrics, r.step);
      if (!w.empty()) warn(w);
    }
  });
  loop_.after_step.push_back([this](const StepReport& r) {
    // Methods without a pooled embedding (mlm) have nothing to monitor.
    if (r.step % 50 != 0 || !method_->last_embedding.defined()) return;
    const std::string w = embedding_collapse_warning(method_->last_embedding, r.step);
    if (!w.empty()) warn(w);
  });
}

// --monitor: kNN accuracy of the frozen encoder on labelled rows, every
// --monitor-every steps and at the end.
void PretrainRun::add_monitor() {
  const std::string path = run_["--monitor"];
  if (path.empty()) return;
  if (io::is_same_file(path, request_.input))
    warn("--monitor " + path + " is the training file itself: its kNN scores training rows, not held-out ones");
  const std::string bank = run_["--monitor-bank"];
  if (!bank.empty() && io::is_same_file(bank, path))
    warn("--monitor-bank " + bank + " is --monitor's file itself: every query finds itself among its neighbours");
  // Only images have a pixel normalisation (text and audio runs keep none).
  const data::PixelNorm norm = config_.contains("normalize")
                                   ? data::pixel_norm_from_json(config_["normalize"], request_.input)
                                   : data::PixelNorm();
  monitor_.emplace(in_, path, bank, norm, config_["seed"]);
  auto last = std::make_shared<int64_t>(-1);
  auto score = [this, path, last](int64_t step, double seconds) {
    if (step == *last) return;
    *last = step;
    const KnnMonitor::Scores acc = monitor_->score(*method_, dt_);
    extras_.series["monitor_step"].push_back(static_cast<float>(step));
    extras_.series["monitor_seconds"].push_back(static_cast<float>(seconds));
    extras_.series["monitor_knn"].push_back(static_cast<float>(acc.knn200));
    extras_.series["monitor_knn20"].push_back(static_cast<float>(acc.knn20));
    char line[200];
    std::snprintf(line, sizeof line,
                  "after %lld steps (%.0f s): kNN accuracy %.4f (k=200, T=0.1), %.4f (k=20, T=0.07) on %zu %s of %s",
                  static_cast<long long>(step + 1), seconds, acc.knn200, acc.knn20, monitor_->queries(),
                  monitor_->unit(), path.c_str());
    note(line);
    log_line({{"step", step}, {"seconds", seconds}, {"monitor_knn", acc.knn200}, {"monitor_knn20", acc.knn20}});
  };
  const int64_t every = run_["--monitor-every"];
  loop_.after_step.push_back([score, every](const StepReport& r) {
    if ((r.step + 1) % every == 0) score(r.step, r.seconds);
  });
  final_scores_.push_back(score);
}

// --recon: reconstructions of a few fixed images, rewritten every
// --recon-every steps and at the end.
void PretrainRun::add_reconstructions() {
  const std::string path = run_["--recon"];
  if (path.empty()) return;
  recon_samples_ = reconstruction_samples(in_, 8, mp_.patch, info_->mask_ratio, config_["seed"]);  // takes the HDF5 lock
  auto draw = [this, path](int64_t, double) {
    write_reconstructions(*method_, *recon_samples_, data::pixel_norm_from_json(config_["normalize"], request_.input), dt_,
                          path, io::Commit::now);
  };
  const int64_t every = run_["--recon-every"];
  if (every > 0)
    loop_.after_step.push_back([draw, every](const StepReport& r) {
      if ((r.step + 1) % every == 0) draw(r.step, r.seconds);
    });
  after_save_.push_back(draw);
}

// The held-out rows' scores (text: masked accuracy and perplexity, and the
// same on as many training rows), every --eval-every steps and at the end.
void PretrainRun::add_held_out() {
  if (!held_) return;
  auto last = std::make_shared<int64_t>(-1);
  auto evaluate = [this, last](int64_t step, double) {
    if (step == *last) return;
    *last = step;
    const HeldOut::Scores s = held_->score(*method_, dt_, step);
    for (const auto& [name, v] : s.series) extras_.series[name].push_back(static_cast<float>(v));
    note(s.line);
    json line{{"step", step}};
    line.update(s.log);
    log_line(std::move(line));
  };
  const int64_t every = run_["--eval-every"];
  if (every > 0)
    loop_.after_step.push_back([evaluate, every](const StepReport& r) {
      if ((r.step + 1) % every == 0) evaluate(r.step, r.seconds);
    });
  // The end-of-run evaluation comes before the monitor's, as it always has.
  final_scores_.insert(final_scores_.begin(), evaluate);
}

void PretrainRun::save(int64_t step, double seconds) {
  CheckpointExtras x = extras_;
  x.config = config_.dump();
  x.optimizer = opt_->state();
  x.step = step;
  x.epoch = step / batches_->steps_per_epoch();
  x.seconds = seconds;
  x.history = history_;
  save_checkpoint(request_.output, *method_, x, io::Commit::now);
}

void PretrainRun::train_and_save() {
  method_->set_training(true);
  io::catch_interrupts();
  // Every rank runs the same steps, hooks and final scores, so the batch
  // norms' collectives match up (eval-mode scoring makes none).
  nn::SyncBatchNorm sync_bn(sync_bn_);
  const TrainResult r = train(loop_);
  if (r.step > extras_.step)
    for (const AtEnd& f : final_scores_) f(r.step - 1, r.seconds);
  save(r.step, r.seconds);
  for (const AtEnd& f : after_save_) f(r.step, r.seconds);
  // Batches are made between steps on the trainer's threads (no loader
  // thread), so the time waiting for data is the time making batches: one figure.
  char line[200];
  std::snprintf(line, sizeof line, "%lld steps in %.0f s; %.0f %% of it making batches",
                static_cast<long long>(r.step - extras_.step), r.seconds - extras_.seconds,
                100 * batches_->busy_seconds() / std::max(1e-9, r.seconds - extras_.seconds));
  note(line);
  // SSLKIT_PROFILE=1: where the steps went, op by op.
  if (nn::profile_enabled())
    for (const auto& row : nn::profile_rows()) {
      std::snprintf(line, sizeof line, "profile: %-28s %9.3f s %8ld calls", row.op.c_str(), row.seconds, row.calls);
      note(line);
    }
}

}  // namespace

void run_pretrain(const PretrainRequest& request) {
  nn::init_engine();
  io::DataReader in(request.input);
  const std::string resume = request.given.value("--resume", std::string());
  std::optional<json> resumed;
  if (!resume.empty()) resumed = json::parse(io::ModelReader(resume).config());
  const std::string init = request.given.value("--init", std::string());
  std::optional<json> init_config;
  if (!init.empty()) {
    try {
      init_config = json::parse(io::ModelReader(init).config());
    } catch (const json::exception& e) {
      throw Error(init, std::string("is not an sslkit model file (config: ") + e.what() + ")");
    }
  }
  PretrainFile file = read_pretrain_file(in);  // the file's facts, read once
  PretrainPlan plan = resolve_pretrain(request.given, file, resumed ? &*resumed : nullptr, resume,
                                       init_config ? &*init_config : nullptr, init);
  PretrainRun run(request, in, std::move(file), std::move(plan));
  run.add_log();
  run.add_method_figures();
  run.add_monitor();
  run.add_reconstructions();
  run.add_held_out();
  run.train_and_save();
}

}  // namespace sslkit::train
