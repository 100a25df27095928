#include "apps/run_probe.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "eval/bag_of_words.hpp"
#include "core/rng.hpp"
#include "nn/engine.hpp"
#include "nn/layers.hpp"
#include "nn/ops.hpp"
#include "nn/optim.hpp"
#include "io/same_kind.hpp"
#include "apps/embed.hpp"
#include "train/modality.hpp"
#include "train/trained_model.hpp"
#include "train/trainer.hpp"

namespace sslkit::train {

std::vector<int32_t> linear_fit_predict(const eval::Features& tr, const std::vector<size_t>& rows,
                                        const eval::Features& te, int K, double wd, int epochs, uint64_t seed,
                                        bool standardize) {
  if (rows.empty()) throw Error("linear probe", "no labelled rows to fit");
  const int64_t d = tr.d;
  // Dense embeddings are standardised per feature; sparse TF-IDF rows are
  // not (a word seen in two rows would be scaled up a hundredfold: 0.375 on
  // two balanced classes where the rows as they are give scikit-learn 0.71).
  std::vector<float> mu(d, 0), sd(d, 1);
  if (standardize) {
    std::fill(sd.begin(), sd.end(), 0.0f);
    for (size_t r : rows)
      for (int64_t j = 0; j < d; ++j) mu[j] += tr.x[r * d + j] / rows.size();
    for (size_t r : rows)
      for (int64_t j = 0; j < d; ++j) sd[j] += std::pow(tr.x[r * d + j] - mu[j], 2) / rows.size();
    for (auto& s : sd) s = std::sqrt(s) + 1e-6f;
  }

  Rng rng(seed, 0x11E);
  nn::Linear model(d, K, rng);
  nn::AdamW opt({nn::ParamGroup{{&model.weight}, 1.0, wd, false}, nn::ParamGroup{{&model.bias}, 1.0, 0.0, false}}, 1e-2);
  const int64_t B = 512, n = static_cast<int64_t>(rows.size()), per_epoch = (n + B - 1) / B;
  // Small labelled sets (a 1 % label fraction) get at least 2000 steps: a
  // fixed epoch count left them far from the optimum.
  epochs = static_cast<int>(std::max<int64_t>(epochs, (2000 + per_epoch - 1) / per_epoch));
  std::vector<size_t> order = rows;
  int64_t at = n;  // position in `order`; a new shuffle when it runs out

  TrainLoop loop;
  loop.optimizer = &opt;
  loop.schedule = {1e-2, 0.0, 1e-4};
  loop.budget.total_steps = epochs * per_epoch;
  loop.subject = "linear probe";
  loop.next_batch = [&] {
    if (at >= n) {
      rng.shuffle(order);
      at = 0;
    }
    const int64_t m = std::min(B, n - at);
    nn::Tensor x({m, d}, nn::DType::f32);
    methods::Batch b;
    for (int64_t i = 0; i < m; ++i) {
      const size_t r = order[at + i];
      b.pretext.push_back(tr.y[r]);
      for (int64_t j = 0; j < d; ++j) x.f32()[i * d + j] = (tr.x[r * d + j] - mu[j]) / sd[j];
    }
    at += m;
    b.views.emplace_back(x);
    return b;
  };
  loop.loss = [&](const methods::Batch& b) { return nn::cross_entropy(model.forward(b.views[0]), b.pretext); };
  train(loop);

  std::vector<int32_t> pred(te.n);
  nn::NoGrad ng;
  for (int64_t s = 0; s < te.n; s += 4096) {
    const int64_t m = std::min<int64_t>(4096, te.n - s);
    nn::Tensor x({m, d}, nn::DType::f32);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < d; ++j) x.f32()[i * d + j] = (te.x[(s + i) * d + j] - mu[j]) / sd[j];
    nn::Tensor logits = model.forward(nn::Var(x)).value();
    for (int64_t i = 0; i < m; ++i)
      pred[s + i] = static_cast<int32_t>(std::max_element(logits.f32() + i * K, logits.f32() + (i + 1) * K) -
                                         (logits.f32() + i * K));
  }
  return pred;
}

eval::Metrics evaluate_probe(const eval::Features& tr, const eval::Features& te, const eval::FinetuneOptions& o,
                             std::string* selected) {
  if (o.mode != "linear" && o.mode != "knn") throw UsageError("--mode must be linear, knn or full");
  if (!(o.label_fraction > 0 && o.label_fraction <= 1)) throw UsageError("--label-fraction must be in (0, 1]");
  if (tr.d != te.d) throw Error(o.eval, "has " + std::to_string(te.d) + "-d features, the training file " + std::to_string(tr.d));
  auto labelled = [](const std::vector<int32_t>& y) { return std::any_of(y.begin(), y.end(), [](int32_t v) { return v >= 0; }); };
  if (!labelled(tr.y)) throw Error(o.train, "has no labels; evaluation needs labelled training rows");
  if (!labelled(te.y)) throw Error(o.eval, "has no labels to evaluate against");
  const int K = eval::num_classes(tr.y, te.y);
  if (K < 2) throw Error(o.train, "needs labels of at least two classes");
  auto rows = eval::labelled_subset(tr.y, o.label_fraction, o.seed);
  eval::Metrics m;
  if (o.mode == "knn") {
    if (o.knn_metric != "cosine" && o.knn_metric != "euclidean")
      throw UsageError("--knn-metric must be cosine or euclidean");
    m = eval::score(o.knn_metric == "euclidean" ? eval::knn_predict_euclidean(tr, rows, te, o.k, K)
                                                : eval::knn_predict(tr, rows, te, o.k, o.knn_temperature, K),
                    te.y, K);
  } else {
    double best_wd = kDefaultProbeDecay, best_acc = -1;
    size_t held_rows = 0;
    if (rows.size() >= kMinHeldOutRows) {
      // A seeded tenth (at least 2 rows) chooses the L2 strength; the rest fit.
      std::vector<size_t> shuffled = rows;
      Rng(o.seed, 0x4E1D).shuffle(shuffled);
      held_rows = std::max<size_t>(2, shuffled.size() / 10);
      std::vector<size_t> held(shuffled.begin(), shuffled.begin() + held_rows);
      std::vector<size_t> fit(shuffled.begin() + held_rows, shuffled.end());
      std::sort(fit.begin(), fit.end());
      eval::Features hv = tr;
      hv.n = static_cast<int64_t>(held.size());
      hv.x.resize(held.size() * tr.d);
      hv.y.resize(held.size());
      for (size_t i = 0; i < held.size(); ++i) {
        std::copy(tr.x.begin() + held[i] * tr.d, tr.x.begin() + (held[i] + 1) * tr.d, hv.x.begin() + i * tr.d);
        hv.y[i] = tr.y[held[i]];
      }
      for (double wd : {0.0, 1e-4, 1e-3, 1e-2}) {
        double acc = eval::score(linear_fit_predict(tr, fit, hv, K, wd, std::max(5, o.epochs / 3), o.seed, !o.bag_of_words), hv.y, K).accuracy;
        if (acc > best_acc) {
          best_acc = acc;
          best_wd = wd;
        }
      }
    }
    m = eval::score(linear_fit_predict(tr, rows, te, K, best_wd, o.epochs, o.seed, !o.bag_of_words), te.y, K);
    if (selected) {
      *selected = "{\"weight_decay\": " + std::to_string(best_wd) + ", \"held_out_rows\": " + std::to_string(held_rows);
      *selected += held_rows ? ", \"held_out_accuracy\": " + std::to_string(best_acc) + "}"
                             : ", \"why\": \"fewer than " + std::to_string(kMinHeldOutRows) +
                                   " labelled rows: no held-out choice, the default decay\"}";
    }
  }
  m.class_names = tr.class_names;
  return m;
}

namespace {

// The features --raw-pixels, --log-mel or --bag-of-words ask for: the
// file's modality's baseline when it is the one asked for; otherwise
// load_features says what the file lacks.
eval::Features baseline_features(const io::DataReader& in, const eval::FinetuneOptions& o) {
  const std::string flag = o.raw_pixels ? "--raw-pixels" : o.log_mel ? "--log-mel" : "--bag-of-words";
  if (o.bag_of_words && in.modality() != io::Modality::text)
    throw UsageError("--bag-of-words is the baseline of text files; " + in.name() + " holds no text");
  if (in.modality() != io::Modality::embedding) {
    const Modality& mod = modality_for(in.modality());
    if (flag == mod.baseline_flag()) return mod.baseline_features(in);
  }
  return eval::load_features(in, o.raw_pixels, o.log_mel);
}

}  // namespace

eval::Metrics run_probe(const eval::FinetuneOptions& o, const std::string& precision, const std::string& pool) {
  if (o.eval.empty()) throw UsageError("--eval TEST_FILE is required");
  nn::init_engine();
  const io::DataReader tr_in(o.train), te_in(o.eval);
  io::check_same_kind(tr_in, te_in);
  eval::Features tr, te;
  if (!o.model.empty()) {
    // Features of one model for both files, loaded once.
    TrainedModel t = load_trained_model(o.model);
    tr = embed_features(t, o.model, tr_in, precision, pool);
    te = embed_features(t, o.model, te_in, precision, pool);
  } else if (o.raw_pixels || o.log_mel || o.bag_of_words) {
    tr = baseline_features(tr_in, o);
    te = baseline_features(te_in, o);
    if (o.bag_of_words) eval::tfidf(tr, te);  // the test rows weighted by the training rows' idf
  } else {
    tr = eval::load_features(tr_in, false, false);
    te = eval::load_features(te_in, false, false);
  }
  std::string selected;
  eval::Metrics m = evaluate_probe(tr, te, o, &selected);
  eval::write_report(m, o, selected);
  return m;
}

}  // namespace sslkit::train
