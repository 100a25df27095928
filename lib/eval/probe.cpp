#include "eval/probe.hpp"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "io/data_file.hpp"
#include "nn/engine.hpp"
#include "nn/layers.hpp"
#include "nn/ops.hpp"
#include "nn/optim.hpp"

namespace sslkit::eval {

void check_finite(const Features& f, const std::string& subject) {
  for (size_t i = 0; i < f.x.size(); ++i)
    if (!std::isfinite(f.x[i]))
      throw Error(subject, "embedding value " + std::to_string(f.x[i]) + " is not finite (row " +
                               std::to_string(i / std::max<int64_t>(1, f.d)) + ", dimension " +
                               std::to_string(i % std::max<int64_t>(1, f.d)) + "); the encoder that made it diverged");
}

Features load_features(const std::string& path, bool raw_pixels) {
  io::DataReader r(path);
  Features f;
  const std::string name = raw_pixels ? "/images" : "/embeddings";
  if (!r.has(name))
    throw Error(r.name(), raw_pixels ? "has no /images for --raw-pixels" : "has no /embeddings (run ssl-embed, or use --raw-pixels)");
  auto info = r.info(name);
  f.n = info.shape[0];
  f.d = 1;
  for (size_t i = 1; i < info.shape.size(); ++i) f.d *= info.shape[i];
  f.x.resize(f.n * f.d);
  if (raw_pixels) {
    std::vector<uint8_t> px(f.n * f.d);
    r.read<uint8_t>(name, 0, f.n, px.data());
    for (size_t i = 0; i < px.size(); ++i) f.x[i] = px[i] / 255.0f;
  } else {
    r.read<float>(name, 0, f.n, f.x.data());
    check_finite(f, r.name());
  }
  f.y = r.labels();
  f.class_names = r.class_names();
  return f;
}

int num_classes(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  int k = 0;
  for (auto y : a) k = std::max(k, y + 1);
  for (auto y : b) k = std::max(k, y + 1);
  return k;
}

std::vector<size_t> labelled_subset(const std::vector<int32_t>& y, double fraction, uint64_t seed) {
  std::map<int32_t, std::vector<size_t>> by;
  for (size_t i = 0; i < y.size(); ++i)
    if (y[i] >= 0) by[y[i]].push_back(i);
  std::vector<size_t> out;
  Rng rng(seed, 0xF4AC);
  for (auto& [c, v] : by) {
    rng.shuffle(v);
    size_t k = std::max<size_t>(1, static_cast<size_t>(std::llround(fraction * v.size())));
    out.insert(out.end(), v.begin(), v.begin() + std::min(k, v.size()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

std::vector<int32_t> knn_predict(const Features& tr, const std::vector<size_t>& rows, const Features& te, int k,
                                 double T, int K) {
  auto normed = [](const Features& f, size_t i, std::vector<float>& out) {
    double s = 0;
    for (int64_t j = 0; j < f.d; ++j) s += f.x[i * f.d + j] * f.x[i * f.d + j];
    float inv = static_cast<float>(1.0 / std::max(std::sqrt(s), 1e-12));
    for (int64_t j = 0; j < f.d; ++j) out[j] = f.x[i * f.d + j] * inv;
  };
  std::vector<float> trn(rows.size() * tr.d);
  for (size_t r = 0; r < rows.size(); ++r) {
    std::vector<float> v(tr.d);
    normed(tr, rows[r], v);
    std::copy(v.begin(), v.end(), trn.begin() + r * tr.d);
  }
  std::vector<int32_t> pred(te.n);
  const int kk = std::min<int>(k, static_cast<int>(rows.size()));
  nn::Var bank(nn::Tensor::from({static_cast<int64_t>(rows.size()), tr.d}, trn));
  const int64_t chunk = 256;
  for (int64_t s = 0; s < te.n; s += chunk) {
    const int64_t m = std::min(chunk, te.n - s);
    std::vector<float> q(m * te.d), tmp(te.d);
    for (int64_t i = 0; i < m; ++i) {
      normed(te, s + i, tmp);
      std::copy(tmp.begin(), tmp.end(), q.begin() + i * te.d);
    }
    // Similarities of the chunk to every training row in one matmul.
    nn::Tensor sim;
    {
      nn::NoGrad ng;
      sim = nn::matmul(nn::Var(nn::Tensor::from({m, te.d}, q)), bank, /*transpose_b=*/true).value();
    }
    const int64_t R = static_cast<int64_t>(rows.size());
#pragma omp parallel for schedule(dynamic, 8)
    for (int64_t i = 0; i < m; ++i) {
      std::vector<std::pair<float, int32_t>> sims(R);
      for (int64_t r = 0; r < R; ++r) sims[r] = {sim.f32()[i * R + r], tr.y[rows[r]]};
      std::partial_sort(sims.begin(), sims.begin() + kk, sims.end(), [](auto& a, auto& b) { return a.first > b.first; });
      std::vector<double> votes(K, 0);
      for (int j = 0; j < kk; ++j) votes[sims[j].second] += std::exp(sims[j].first / T);
      pred[s + i] = static_cast<int32_t>(std::max_element(votes.begin(), votes.end()) - votes.begin());
    }
  }
  return pred;
}

// Softmax regression on standardised features with weight decay `wd`,
// trained with AdamW on minibatches; returns predictions for `te`.
std::vector<int32_t> linear_fit_predict(const Features& tr, const std::vector<size_t>& rows, const Features& te,
                                        int K, double wd, int epochs, uint64_t seed, std::vector<float>& mu,
                                        std::vector<float>& sd) {
  const int64_t d = tr.d;
  if (mu.empty()) {
    mu.assign(d, 0);
    sd.assign(d, 0);
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
  const int64_t steps = epochs * per_epoch;
  int64_t step = 0;
  for (int e = 0; e < epochs; ++e) {
    rng.shuffle(order);
    for (int64_t s = 0; s < n; s += B, ++step) {
      const int64_t m = std::min(B, n - s);
      nn::Tensor x({m, d}, nn::DType::f32);
      std::vector<int32_t> y(m);
      for (int64_t i = 0; i < m; ++i) {
        size_t r = order[s + i];
        y[i] = tr.y[r];
        for (int64_t j = 0; j < d; ++j) x.f32()[i * d + j] = (tr.x[r * d + j] - mu[j]) / sd[j];
      }
      opt.set_lr(nn::warmup_cosine(step, steps, 0, 1e-2, 1e-4));
      nn::Var loss = nn::cross_entropy(model.forward(nn::Var(x)), y);
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
  }
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

}  // namespace

Metrics score(const std::vector<int32_t>& pred, const std::vector<int32_t>& truth, int K) {
  Metrics m;
  m.confusion.assign(K, std::vector<int64_t>(K, 0));
  int64_t ok = 0, n = 0;
  for (size_t i = 0; i < pred.size(); ++i) {
    if (truth[i] < 0) continue;
    ++n;
    ok += pred[i] == truth[i];
    m.confusion[truth[i]][pred[i]]++;
  }
  m.accuracy = n ? static_cast<double>(ok) / n : 0;
  for (int c = 0; c < K; ++c) {
    int64_t row = 0;
    for (auto v : m.confusion[c]) row += v;
    m.per_class.push_back(row ? static_cast<double>(m.confusion[c][c]) / row : 0);
  }
  return m;
}

namespace {

void plot_confusion(const Metrics& m, const std::string& path) {
  const int K = static_cast<int>(m.confusion.size()), cell = 32;
  cv::Mat img(K * cell, K * cell, CV_8UC3, cv::Scalar(255, 255, 255));
  for (int i = 0; i < K; ++i) {
    int64_t row = 0;
    for (auto v : m.confusion[i]) row += v;
    for (int j = 0; j < K; ++j) {
      double f = row ? static_cast<double>(m.confusion[i][j]) / row : 0;
      cv::rectangle(img, cv::Rect(j * cell, i * cell, cell, cell),
                    cv::Scalar(255 * (1 - f), 255 * (1 - f * 0.6), 255 * (1 - f * 0.2)), cv::FILLED);
      cv::putText(img, std::to_string(static_cast<int>(std::lround(f * 100))), {j * cell + 4, i * cell + 20},
                  cv::FONT_HERSHEY_SIMPLEX, 0.35, cv::Scalar(0, 0, 0));
    }
  }
  std::vector<uint8_t> bytes;
  if (!cv::imencode(".png", img, bytes)) throw Error(path, "cannot encode PNG");
  io::write_file_atomic(path, bytes);
}

}  // namespace

std::string Metrics::summary_json(const FinetuneOptions& o, const std::string& extra) const {
  nlohmann::ordered_json j;
  j["mode"] = o.mode;
  j["features"] = o.raw_pixels ? "raw-pixels" : o.mode == "full" ? "fine-tuned encoder" : !o.model.empty() ? "encoder of " + o.model : "embeddings";
  j["accuracy"] = accuracy;
  j["label_fraction"] = o.label_fraction;
  if (o.mode == "knn") {
    j["k"] = o.k;
    j["temperature"] = o.knn_temperature;
  }
  if (!extra.empty()) j["selected"] = nlohmann::json::parse(extra);
  j["per_class_accuracy"] = per_class;
  j["class_names"] = class_names;
  j["confusion"] = confusion;
  return j.dump(1);
}

Metrics evaluate(const Features& tr, const Features& te, const FinetuneOptions& o, std::string* selected) {
  if (o.mode != "linear" && o.mode != "knn") throw UsageError("--mode must be linear, knn or full");
  if (!(o.label_fraction > 0 && o.label_fraction <= 1)) throw UsageError("--label-fraction must be in (0, 1]");
  if (tr.d != te.d) throw Error(o.eval, "has " + std::to_string(te.d) + "-d features, the training file " + std::to_string(tr.d));
  auto labelled = [](const std::vector<int32_t>& y) { return std::any_of(y.begin(), y.end(), [](int32_t v) { return v >= 0; }); };
  if (!labelled(tr.y)) throw Error(o.train, "has no labels; evaluation needs labelled training rows");
  if (!labelled(te.y)) throw Error(o.eval, "has no labels to evaluate against");
  const int K = num_classes(tr.y, te.y);
  if (K < 2) throw Error(o.train, "needs labels of at least two classes");
  auto rows = labelled_subset(tr.y, o.label_fraction, o.seed);
  Metrics m;
  if (o.mode == "knn") {
    m = score(knn_predict(tr, rows, te, o.k, o.knn_temperature, K), te.y, K);
  } else {
    // Choose the L2 strength on a held-out tenth of the labelled rows.
    std::vector<size_t> fit, held;
    Rng rng(o.seed, 0x4E1D);
    for (size_t r : rows) (rng.uniform() < 0.1 ? held : fit).push_back(r);
    Features hv = tr;
    hv.n = static_cast<int64_t>(held.size());
    hv.x.resize(held.size() * tr.d);
    hv.y.resize(held.size());
    for (size_t i = 0; i < held.size(); ++i) {
      std::copy(tr.x.begin() + held[i] * tr.d, tr.x.begin() + (held[i] + 1) * tr.d, hv.x.begin() + i * tr.d);
      hv.y[i] = tr.y[held[i]];
    }
    double best_wd = 0, best_acc = -1;
    for (double wd : {0.0, 1e-4, 1e-3, 1e-2}) {
      std::vector<float> mu, sd;
      double acc = score(linear_fit_predict(tr, fit, hv, K, wd, std::max(5, o.epochs / 3), o.seed, mu, sd), hv.y, K).accuracy;
      if (acc > best_acc) {
        best_acc = acc;
        best_wd = wd;
      }
    }
    std::vector<float> mu, sd;
    m = score(linear_fit_predict(tr, rows, te, K, best_wd, o.epochs, o.seed, mu, sd), te.y, K);
    if (selected)
      *selected = "{\"weight_decay\": " + std::to_string(best_wd) + ", \"held_out_accuracy\": " + std::to_string(best_acc) + "}";
  }
  m.class_names = tr.class_names;
  return m;
}

void write_report(const Metrics& m, const FinetuneOptions& o, const std::string& selected) {
  if (!o.metrics.empty()) {
    const std::string text = m.summary_json(o, selected) + "\n";
    io::write_file_atomic(o.metrics, std::vector<uint8_t>(text.begin(), text.end()));
  }
  if (!o.plot.empty()) plot_confusion(m, o.plot);
}

Metrics run_finetune(const FinetuneOptions& o) {
  if (o.eval.empty()) throw UsageError("--eval TEST_FILE is required");
  nn::init_engine();
  Features tr = load_features(o.train, o.raw_pixels), te = load_features(o.eval, o.raw_pixels);
  std::string selected;
  Metrics m = evaluate(tr, te, o, &selected);
  write_report(m, o, selected);
  return m;
}

}  // namespace sslkit::eval
