#include "train/finetune.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "augment/recipe.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "io/data_file.hpp"
#include "io/files.hpp"
#include "methods/method.hpp"
#include "methods/registry.hpp"
#include "io/model_file.hpp"
#include "nn/engine.hpp"
#include "nn/optim.hpp"
#include "train/checkpoint.hpp"
#include "train/image_batches.hpp"
#include "train/sequence_batches.hpp"
#include "train/text_lengths.hpp"
#include "data/text_source.hpp"
#include "data/tokenizer.hpp"
#include "io/same_kind.hpp"
#include "models/encoders.hpp"
#include "models/text_encoder.hpp"
#include "models/vit.hpp"
#include "models/w2v.hpp"
#include "train/embed.hpp"
#include "train/trainer.hpp"
#include "train/trained_model.hpp"

namespace sslkit::train {

using json = nlohmann::ordered_json;

namespace {

// The class of each row of logits [n, K] (f32) into pred[start, start + n).
void argmax_rows(const nn::Tensor& logits, int64_t start, std::vector<int32_t>& pred) {
  const int64_t n = logits.dim(0), K = logits.dim(1);
  for (int64_t i = 0; i < n; ++i)
    pred[start + i] = static_cast<int32_t>(std::max_element(logits.f32() + i * K, logits.f32() + (i + 1) * K) -
                                           (logits.f32() + i * K));
}

std::vector<int32_t> predict(methods::Method& m, const io::DataReader& in, float mean, float stdev, nn::DType dt) {
  auto info = in.info("/images");
  const int64_t N = in.size(), H = info.shape[1], W = info.shape[2], C = info.shape[3];
  std::vector<int32_t> pred(N);
  std::vector<uint8_t> buf;
  for (int64_t s = 0; s < N; s += 512) {
    const int64_t n = std::min<int64_t>(512, N - s);
    buf.resize(n * H * W * C);
    in.read<uint8_t>("/images", s, n, buf.data());
    nn::NoGrad ng;
    nn::Tensor logits =
        m.logits(m.encoder().forward(nn::Var(normalize_images(buf.data(), n, H, W, C, mean, stdev).to(dt))))
            .value()
            .to(nn::DType::f32);
    argmax_rows(logits, s, pred);
  }
  return pred;
}

std::vector<int32_t> predict_text(methods::Method& m, const io::DataReader& in, nn::DType dt) {
  const int64_t N = in.size(), L = static_cast<int64_t>(in.info("/tokens").shape[1]), batch = 64;
  std::vector<int32_t> pred(N);
  for (int64_t s = 0; s < N; s += batch) {
    methods::TokenBatch t;
    t.rows = std::min<int64_t>(batch, N - s);
    t.length = L;
    t.dtype = dt;
    t.ids.resize(t.rows * L);
    t.lengths.resize(t.rows);
    in.read<int32_t>("/tokens", s, t.rows, t.ids.data());
    in.read<int32_t>("/lengths", s, t.rows, t.lengths.data());
    nn::NoGrad ng;
    nn::Tensor logits = m.logits(m.sentence(t, false)).value().to(nn::DType::f32);
    argmax_rows(logits, s, pred);
  }
  return pred;
}

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

// Trains `model` on `next_batch` for total_steps, or for `seconds` when
// total_steps is 0: warmup over 10 % (at most 200 steps), then cosine.
TrainResult run_finetune_loop(methods::Method& model, nn::Optimizer& opt, double lr, int64_t total_steps,
                              double seconds, const std::function<methods::Batch()>& next_batch) {
  TrainLoop loop;
  loop.optimizer = &opt;
  loop.schedule = {lr, total_steps > 0 ? std::min(0.1, 200.0 / static_cast<double>(total_steps)) : 0.1};
  loop.budget.total_steps = total_steps;
  loop.budget.seconds = seconds;
  loop.progress = "finetune";
  loop.subject = "ssl-finetune";
  loop.next_batch = next_batch;
  loop.loss = [&](const methods::Batch& b) { return model.loss(b); };
  model.set_training(true);
  const TrainResult done = train(loop);
  model.set_training(false);
  return done;
}

// Batches of the labelled rows (--label-fraction) of a text or audio file
// with their labels as targets: `default_batch` a step unless --batch.
SequenceBatchSpec labelled_sequences(const FullFinetuneOptions& o, const std::vector<int32_t>& ytr, int default_batch,
                                     nn::DType dt) {
  SequenceBatchSpec spec;
  spec.rows = eval::labelled_subset(ytr, o.report.label_fraction, o.report.seed);
  spec.batch = static_cast<int>(std::min<int64_t>(o.given.count("--batch") ? o.batch : default_batch,
                                                  static_cast<int64_t>(spec.rows.size())));
  spec.seed = o.report.seed;
  spec.targets = ytr;
  spec.dtype = dt;
  return spec;
}

// The end of full fine-tuning of text or audio: the test predictions
// scored, the report with what ran, and with -o the model (method
// `method`; `x` carries a text model's tokenizer).
eval::Metrics report_sequence_finetune(const FullFinetuneOptions& o, methods::Method& model,
                                       const std::vector<int32_t>& predicted, const std::vector<int32_t>& yte,
                                       const TrainResult& done, int batch, int64_t total, const std::string& method,
                                       const methods::MethodParams& mp, const io::DataReader& tr, nn::DType dt,
                                       CheckpointExtras x) {
  const eval::FinetuneOptions& r = o.report;
  eval::Metrics m = eval::score(predicted, yte, mp.num_classes);
  m.class_names = tr.class_names();
  json selected = {{"steps", done.step},     {"seconds", done.seconds}, {"batch", batch},
                   {"lr", o.lr},              {"backbone_lr_scale", o.backbone_lr_scale},
                   {"weight_decay", o.weight_decay},
                   {"final_loss", done.last_loss}, {"init", r.model.empty() ? "scratch" : r.model}};
  if (total > 0) selected["epochs"] = o.epochs;
  eval::FinetuneOptions report = r;
  report.mode = "full";
  eval::write_report(m, report, selected.dump());
  if (!o.output.empty()) {
    x.step = done.step;
    x.seconds = done.seconds;
    save_finetuned(o, model, {{"method", method}}, mp, tr, dt, x);
  }
  return m;
}

// Text: a pretrained text model's encoder (or a new one, the baseline) with
// a linear head on mean-pooled tokens, on unmasked token batches.
eval::Metrics run_text_finetune(const FullFinetuneOptions& o, const io::DataReader& tr, const io::DataReader& te,
                                nn::DType dt) {
  const eval::FinetuneOptions& r = o.report;
  const data::Tokenizer tokenizer = data::Tokenizer::read_from(tr);  // te's is the same (check_same_kind)
  const std::vector<uint8_t> tok = tokenizer.bytes();
  methods::MethodParams mp;
  json config;
  if (!r.model.empty()) {
    config = json::parse(io::ModelReader(r.model).config());
    const std::string method = config.value("method", std::string());
    if (!methods::trains_on(methods::method_info(method), "text"))
      throw UsageError(tr.name() + " is a text file; " + r.model + " is an image model (" + method + ")");
    mp = methods::read_params(config);
    if (mp.vocab_size != tokenizer.vocab_size())
      throw UsageError(r.model + " was trained on a vocabulary of " + std::to_string(mp.vocab_size) + " tokens; " +
                       tr.name() + " has another tokenizer");
  } else {
    if (o.given.count("--arch")) models::check_arch_modality(o.arch, "text", tr.name());
    mp.arch = o.given.count("--arch") ? o.arch : "bert-mini";
    mp.vocab_size = tokenizer.vocab_size();
    mp.max_len = data::text_max_len(tr);
  }
  for (const io::DataReader* f : {&tr, &te})
    if (static_cast<int64_t>(f->info("/tokens").shape[1]) > mp.max_len)
      throw UsageError(f->name() + " holds sequences of " + std::to_string(f->info("/tokens").shape[1]) +
                       " tokens; the model takes at most " + std::to_string(mp.max_len));
  check_text_lengths(tr, mp, static_cast<int64_t>(tr.info("/tokens").shape[1]), o.given.count("--batch") ? o.batch : 64);
  const std::vector<int32_t> ytr = tr.labels(), yte = te.labels();
  mp.num_classes = class_count(tr, te, ytr, yte);

  Rng init(r.seed, 0xF17E);
  auto model = methods::make_method("text-supervised", mp, init);
  if (!r.model.empty()) load_checkpoint_prefix(r.model, "text_encoder.", *model);
  // The pretrained encoder moves slower than the new head, as for images.
  nn::ParamGroup enc{{}, o.backbone_lr_scale, o.weight_decay, false}, enc_norm{{}, o.backbone_lr_scale, 0.0, true},
      head{{}, 1.0, o.weight_decay, false}, head_bias{{}, 1.0, 0.0, true};
  for (auto& [name, p] : model->named_parameters()) {
    const bool flat = p->value().rank() == 1;
    (name.rfind("head.", 0) == 0 ? (flat ? head_bias : head) : (flat ? enc_norm : enc)).params.push_back(p);
  }
  nn::AdamW opt({enc, enc_norm, head, head_bias}, o.lr);

  SequenceBatchSpec spec = labelled_sequences(o, ytr, 64, dt);  // 64 sequences a step, as ssl-pretrain for text
  spec.mask_tokens = false;
  TokenBatches batches(tr, spec);
  const int64_t total = o.time_budget > 0 ? 0 : batches.steps_per_epoch() * o.epochs;
  const TrainResult done = run_finetune_loop(*model, opt, o.lr, total, o.time_budget, [&] { return batches.next(); });
  CheckpointExtras x;
  x.tokenizer = tok;
  return report_sequence_finetune(o, *model, predict_text(*model, te, dt), yte, done, spec.batch, total, "text-supervised",
                                  mp, tr, dt, x);
}

// Class predictions of a classifier over every clip of an audio file.
std::vector<int32_t> predict_audio(methods::Method& m, const io::DataReader& in, nn::DType dt) {
  std::vector<int32_t> pred(in.size());
  embed_audio(m, in, false, false, dt, 64, [&](const nn::Tensor& f, int64_t s, int64_t) {
    nn::NoGrad ng;
    const nn::Tensor logits = m.logits(nn::Var(f.to(dt))).value().to(nn::DType::f32);
    argmax_rows(logits, s, pred);
  });
  return pred;
}

// Audio: a pretrained audio model's encoder (or a new one, the baseline)
// with a linear head on the mean over each clip's real frames.
eval::Metrics run_audio_finetune(const FullFinetuneOptions& o, const io::DataReader& tr, const io::DataReader& te,
                                 nn::DType dt) {
  const eval::FinetuneOptions& r = o.report;
  methods::MethodParams mp;
  if (!r.model.empty()) {
    TrainedModel t = load_trained_model(r.model);
    check_model_input(t, r.model, tr);
    mp.arch = t.arch;
    mp.encoder = methods::read_params(json::parse(t.config), r.model).encoder;  // the model's whole shape
  } else {
    if (o.given.count("--arch")) models::check_arch_modality(o.arch, "audio", tr.name());
    mp.arch = o.given.count("--arch") ? o.arch : "w2v-mini";
  }
  for (const io::DataReader* f : {&tr, &te})
    if (models::w2v_frames(methods::encoder_shape(mp), static_cast<int64_t>(f->info("/audio").shape[1])) < 1)
      throw Error(f->name(), "clips are shorter than one frame of the encoder (400 samples)");
  const std::vector<int32_t> ytr = tr.labels(), yte = te.labels();
  mp.num_classes = class_count(tr, te, ytr, yte);

  Rng init(r.seed, 0xF17E);
  auto model = methods::make_method("supervised", mp, init);
  if (!r.model.empty()) load_checkpoint_part(r.model, "encoder.", model->encoder());
  // The pretrained encoder moves slower than the new head, as for images.
  std::vector<nn::ParamGroup> groups = nn::decay_groups(model->encoder(), o.weight_decay);
  for (auto& g : groups) g.lr_scale = o.backbone_lr_scale;
  nn::ParamGroup head{{}, 1.0, o.weight_decay, false}, head_bias{{}, 1.0, 0.0, true};
  for (auto& [name, p] : model->named_parameters())
    if (name.rfind("head.", 0) == 0) (p->value().rank() == 1 ? head_bias : head).params.push_back(p);
  groups.push_back(head);
  groups.push_back(head_bias);
  nn::AdamW opt(groups, o.lr);

  SequenceBatchSpec spec = labelled_sequences(o, ytr, 32, dt);  // 32 clips a step, as ssl-pretrain for audio
  AudioBatches batches(tr, spec);
  const int64_t total = o.time_budget > 0 ? 0 : batches.steps_per_epoch() * o.epochs;
  const TrainResult done = run_finetune_loop(*model, opt, o.lr, total, o.time_budget, [&] { return batches.next(); });
  return report_sequence_finetune(o, *model, predict_audio(*model, te, dt), yte, done, spec.batch, total, "supervised", mp,
                                  tr, dt, CheckpointExtras{});
}

}  // namespace

eval::Metrics run_full_finetune(const FullFinetuneOptions& o) {
  const eval::FinetuneOptions& r = o.report;
  if (r.eval.empty()) throw UsageError("--eval TEST_IMAGES is required");
  if (!(r.label_fraction > 0 && r.label_fraction <= 1)) throw UsageError("--label-fraction must be in (0, 1]");
  if (r.raw_pixels || r.log_mel)
    throw UsageError(std::string(r.raw_pixels ? "--raw-pixels" : "--log-mel") + " does not go with --mode full (it trains an encoder)");
  check_run_length(o.given.count("--epochs") > 0, o.time_budget > 0);
  nn::init_engine();
  const nn::DType dt = nn::resolve_precision(o.precision);
  io::DataReader tr(r.train), te(r.eval);
  io::check_same_kind(tr, te);
  if (tr.modality() == io::Modality::text) return run_text_finetune(o, tr, te, dt);
  if (tr.modality() == io::Modality::audio) return run_audio_finetune(o, tr, te, dt);

  methods::MethodParams mp;
  float mean, stdev;
  json config;
  if (!r.model.empty()) {
    TrainedModel t = load_trained_model(r.model);
    check_model_input(t, r.model, tr);
    config = json::parse(t.config);
    const methods::MethodParams from = methods::read_params(config);
    mp.arch = t.arch;
    mp.in_channels = t.in_channels;
    mp.encoder = from.encoder;  // the model's whole shape
    mp.patch = from.patch;  // a ViT keeps its patches and pooling
    mp.pool = from.pool;
    mean = t.mean;
    stdev = t.stdev;
  } else {
    if (!tr.has("/images")) throw Error(tr.name(), "has no /images (full fine-tuning trains on images)");
    models::check_arch_modality(o.arch, "image", tr.name());
    mp.arch = o.arch;
    mp.in_channels = tr.info("/images").shape[3];
    std::tie(mean, stdev) = pixel_stats(tr);
    config = {{"normalize", {{"mean", mean}, {"std", stdev}}}};
  }
  check_image_input(tr, mp.in_channels);
  check_image_input(te, mp.in_channels);
  const std::vector<int32_t> ytr = tr.labels(), yte = te.labels();
  const int K = class_count(tr, te, ytr, yte);
  mp.num_classes = K;

  const bool vit = models::is_vit_arch(mp.arch);
  if (!vit && o.given.count("--layer-decay"))
    throw UsageError("--layer-decay goes with ViT encoders; " + mp.arch + " has --backbone-lr-scale");
  if (vit && o.given.count("--backbone-lr-scale"))
    throw UsageError("a ViT's backbone learns by --layer-decay (MAE's layer-wise decay), not --backbone-lr-scale");
  if (!vit && o.given.count("--pool")) throw UsageError("--pool goes with ViT encoders; " + mp.arch + " is convolutional");
  // A ViT: MAE's fine-tuning recipe unless told (weight decay 0.05, layer
  // decay 0.75 for pretrained weights, none from scratch) but the model's
  // own pooling (the class token for mae) and AdamW at 3e-3: 90-second
  // runs from a 10-minute MAE model gave 0.7899 with the class token at
  // 3e-3, 0.7746 at 1e-3, and 0.7639 and 0.7394 with mean pooling.
  if (vit && !o.pool.empty()) mp.pool = o.pool;
  const double lr = vit && !o.given.count("--lr") ? 3e-3 : o.lr;
  const double wd = vit && !o.given.count("--weight-decay") ? 0.05 : o.weight_decay;
  const double layer_decay = o.given.count("--layer-decay") || !r.model.empty() ? o.layer_decay : 1.0;

  Rng init(r.seed, 0xF17E);
  auto model = methods::make_method("supervised", mp, init);
  if (!r.model.empty()) load_checkpoint_part(r.model, "encoder.", model->encoder());
  // The backbone moves slower than the new head (measured at 1 % labels:
  // head and backbone both at 1e-3 gave 0.739, the head at 1e-2 with the
  // backbone at 1e-3 0.800). From scratch the same optimizer runs, so the
  // comparison changes only the initial weights. A ViT's layers slow down
  // with depth from the head instead.
  std::vector<nn::ParamGroup> groups;
  if (vit) {
    groups = models::vit_layer_groups(model->encoder(), wd, layer_decay);
  } else {
    groups = nn::decay_groups(model->encoder(), wd);
    for (auto& g : groups) g.lr_scale = o.backbone_lr_scale;
  }
  nn::ParamGroup head{{}, 1.0, wd, false}, head_bias{{}, 1.0, 0.0, true};
  for (auto& [name, p] : model->named_parameters())
    if (name.rfind("head.", 0) == 0) (p->value().rank() == 1 ? head_bias : head).params.push_back(p);
  groups.push_back(head);
  groups.push_back(head_bias);
  nn::AdamW opt(groups, lr);

  const std::vector<size_t> rows = eval::labelled_subset(ytr, r.label_fraction, r.seed);
  // Drop the last partial batch (batchnorm on a handful of rows is noise)
  // unless the labelled set is smaller than one batch.
  ImageBatchSpec spec;
  spec.batch = static_cast<int>(std::min<int64_t>(o.batch, static_cast<int64_t>(rows.size())));
  spec.seed = r.seed;
  spec.mean = mean;
  spec.stdev = stdev;
  spec.views = 1;
  spec.recipe = augment::make_recipe(o.recipe, 1.0);
  spec.rows = rows;
  spec.targets = ytr;
  spec.dtype = dt;
  ImageBatches batches(tr, spec);
  const int64_t total = o.time_budget > 0 ? 0 : batches.steps_per_epoch() * o.epochs;

  const TrainResult done = run_finetune_loop(*model, opt, lr, total, o.time_budget, [&] { return batches.next(); });
  const int64_t step = done.step;
  eval::Metrics m = eval::score(predict(*model, te, mean, stdev, dt), yte, K);
  m.class_names = tr.class_names();
  json selected = {{"steps", step}, {"seconds", done.seconds}, {"batch", spec.batch}, {"lr", lr}, {"weight_decay", wd}};
  if (total > 0) selected["epochs"] = o.epochs;
  if (vit) {
    selected["layer_decay"] = layer_decay;
    selected["pool"] = mp.pool;
  } else {
    selected["backbone_lr_scale"] = o.backbone_lr_scale;
  }
  selected["recipe"] = o.recipe;
  selected["final_loss"] = done.last_loss;
  selected["init"] = r.model.empty() ? "scratch" : r.model;
  eval::FinetuneOptions report = r;
  report.mode = "full";
  eval::write_report(m, report, selected.dump());
  if (!o.output.empty()) {
    config["method"] = "supervised";
    CheckpointExtras x;
    x.step = step;
    x.epoch = step / batches.steps_per_epoch();
    x.seconds = done.seconds;
    save_finetuned(o, *model, config, mp, tr, dt, x);
  }
  return m;
}

}  // namespace sslkit::train
