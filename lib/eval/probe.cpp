#include "eval/probe.hpp"

#include "data/finite_clips.hpp"
#include "data/log_mel.hpp"
#include "eval/confusion_plot.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "io/picture.hpp"
#include "io/data_file.hpp"
#include "nn/ops.hpp"

namespace sslkit::eval {

void check_finite(const Features& f, const std::string& subject) {
  for (size_t i = 0; i < f.x.size(); ++i)
    if (!std::isfinite(f.x[i]))
      throw Error(subject, "embedding value " + std::to_string(f.x[i]) + " is not finite (row " +
                               std::to_string(i / std::max<int64_t>(1, f.d)) + ", dimension " +
                               std::to_string(i % std::max<int64_t>(1, f.d)) + "); the encoder that made it diverged");
}

Features load_features(const std::string& path, bool raw_pixels, bool log_mel) {
  return load_features(io::DataReader(path), raw_pixels, log_mel);
}

Features load_features(const io::DataReader& r, bool raw_pixels, bool log_mel) {
  Features f;
  if (log_mel) {
    // The audio baseline (the features of the 97 % FSDD logistic regression,
    // without deltas): per clip, each of 40 log-mel bands' mean and std over
    // 25 ms windows every 10 ms of its real samples.
    if (!r.has("/audio")) throw Error(r.name(), "has no /audio for --log-mel (an audio file from ssl-import audio)");
    const int64_t T = static_cast<int64_t>(r.info("/audio").shape[1]);
    const data::MelParams mp = data::mel_params_for_rate(r.sample_rate());
    f.n = r.size();
    f.d = 2 * mp.n_mels;
    f.x.resize(f.n * f.d);
    std::vector<int32_t> lengths(f.n);
    r.read<int32_t>("/lengths", 0, f.n, lengths.data());
    std::vector<float> wave;
    for (int64_t s = 0; s < static_cast<int64_t>(f.n); s += 256) {
      const int64_t n = std::min<int64_t>(256, static_cast<int64_t>(f.n) - s);
      wave.resize(static_cast<size_t>(n * T));
      r.read<float>("/audio", s, n, wave.data());
      data::require_finite_clips(r.name(), wave.data(), static_cast<size_t>(n), static_cast<size_t>(T), static_cast<size_t>(s));
#pragma omp parallel for schedule(dynamic, 8)
      for (int64_t i = 0; i < n; ++i) {
        const int len = static_cast<int>(std::clamp<int64_t>(lengths[s + i], 0, T));
        const std::vector<float> v = data::log_mel_stats(wave.data() + i * T, len, mp);
        std::copy(v.begin(), v.end(), f.x.begin() + (s + i) * f.d);
      }
    }
    f.y = r.labels();
    f.class_names = r.class_names();
    return f;
  }
  const std::string name = raw_pixels ? "/images" : "/embeddings";
  if (!r.has(name))
    throw Error(r.name(), raw_pixels ? "has no /images for --raw-pixels"
                                     : r.has("/audio") ? "has no /embeddings (run ssl-embed, or use --model or --log-mel)"
                                                       : "has no /embeddings (run ssl-embed, or use --raw-pixels)");
  auto info = r.info(name);
  if (!raw_pixels && info.shape.size() == 3)
    throw Error(r.name(), "/embeddings holds one embedding per frame (ssl-embed --frames); a probe wants one per clip: "
                          "embed without --frames");
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

std::vector<int32_t> knn_predict(const Features& tr, const std::vector<size_t>& rows, const Features& te, int k,
                                 double T, int K) {
  return knn_predict(tr, rows, te, std::vector<KnnRule>{{k, T}}, K).front();
}

std::vector<std::vector<int32_t>> knn_predict(const Features& tr, const std::vector<size_t>& rows, const Features& te,
                                              const std::vector<KnnRule>& rules, int K) {
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
  std::vector<std::vector<int32_t>> pred(rules.size(), std::vector<int32_t>(te.n));
  int kmax = 0;
  for (const auto& r : rules) kmax = std::max(kmax, std::min<int>(r.k, static_cast<int>(rows.size())));
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
      // Sorted nearest first: each rule votes over its own first k.
      std::partial_sort(sims.begin(), sims.begin() + kmax, sims.end(), [](auto& a, auto& b) { return a.first > b.first; });
      for (size_t u = 0; u < rules.size(); ++u) {
        const int kk = std::min<int>(rules[u].k, static_cast<int>(R));
        std::vector<double> votes(K, 0);
        for (int j = 0; j < kk; ++j) votes[sims[j].second] += std::exp(sims[j].first / rules[u].temperature);
        pred[u][s + i] = static_cast<int32_t>(std::max_element(votes.begin(), votes.end()) - votes.begin());
      }
    }
  }
  return pred;
}

std::vector<int32_t> knn_predict_euclidean(const Features& tr, const std::vector<size_t>& rows, const Features& te,
                                           int k, int K) {
  const int64_t d = tr.d, R = static_cast<int64_t>(rows.size());
  std::vector<float> bank(rows.size() * d);
  std::vector<double> bank_sq(rows.size(), 0);
  for (int64_t r = 0; r < R; ++r)
    for (int64_t j = 0; j < d; ++j) {
      const float v = tr.x[rows[r] * d + j];
      bank[r * d + j] = v;
      bank_sq[r] += double(v) * v;
    }
  // Exact squared distance in double, for the final ranking.
  auto dist2 = [&](int64_t q, int64_t r) {
    double s = 0;
    for (int64_t j = 0; j < d; ++j) {
      const double t = double(te.x[q * d + j]) - tr.x[rows[r] * d + j];
      s += t * t;
    }
    return s;
  };
  const int kk = std::min<int>(k, static_cast<int>(R));
  // |q - t|^2 = |q|^2 + |t|^2 - 2 q.t ranks the rows in one float32 matmul
  // per chunk, but its rounding (a few 1e-5 on raw pixels, where |t|^2 is in
  // the hundreds) could swap near-equal neighbours; so it only shortlists,
  // and the shortlist is ranked by the exact distance.
  const int shortlist = static_cast<int>(std::min<int64_t>(R, 2 * int64_t(kk) + 32));
  std::vector<int32_t> pred(te.n);
  nn::Var bank_var(nn::Tensor::from({R, d}, bank));
  const int64_t chunk = 256;
  for (int64_t s = 0; s < te.n; s += chunk) {
    const int64_t m = std::min(chunk, te.n - s);
    std::vector<float> q(te.x.begin() + s * d, te.x.begin() + (s + m) * d);
    nn::Tensor dot;
    {
      nn::NoGrad ng;
      dot = nn::matmul(nn::Var(nn::Tensor::from({m, d}, q)), bank_var, /*transpose_b=*/true).value();
    }
#pragma omp parallel for schedule(dynamic, 8)
    for (int64_t i = 0; i < m; ++i) {
      // (distance, training row position): ties rank the lower row first.
      std::vector<std::pair<double, int64_t>> near(R);
      for (int64_t r = 0; r < R; ++r) near[r] = {bank_sq[r] - 2.0 * dot.f32()[i * R + r], r};
      std::partial_sort(near.begin(), near.begin() + shortlist, near.end());
      near.resize(shortlist);
      for (auto& [dist, r] : near) dist = dist2(s + i, r);
      std::partial_sort(near.begin(), near.begin() + kk, near.end());
      std::vector<int> votes(K, 0);
      for (int j = 0; j < kk; ++j) votes[tr.y[rows[near[j].second]]]++;
      // max_element takes the first of equal counts: a tie goes to the lowest class id.
      pred[s + i] = static_cast<int32_t>(std::max_element(votes.begin(), votes.end()) - votes.begin());
    }
  }
  return pred;
}

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

std::string default_title(const FinetuneOptions& o) {
  auto file = [](const std::string& path) { return std::filesystem::path(path).filename().string(); };
  char knn[64];
  if (o.knn_metric == "euclidean")
    std::snprintf(knn, sizeof knn, "kNN k=%d Euclidean", o.k);
  else
    std::snprintf(knn, sizeof knn, "kNN k=%d T=%g", o.k, o.knn_temperature);
  std::string t = o.mode == "linear" ? "linear probe" : o.mode == "knn" ? std::string(knn) : "full fine-tuning";
  t += o.raw_pixels     ? ", raw pixels"
       : o.log_mel      ? ", log-mel statistics"
       : o.mode == "full" ? (o.model.empty() ? " from scratch" : " of " + file(o.model))
       : !o.model.empty() ? ", " + file(o.model) + " features"
                          : ", embeddings in " + file(o.train);
  if (o.label_fraction < 1) {
    char f[48];
    std::snprintf(f, sizeof f, ", %g%% of the labels", 100 * o.label_fraction);
    t += f;
  }
  return t;
}

std::string Metrics::summary_json(const FinetuneOptions& o, const std::string& extra) const {
  nlohmann::ordered_json j;
  j["mode"] = o.mode;
  j["features"] = o.raw_pixels ? "raw-pixels" : o.log_mel ? "log-mel" : o.mode == "full" ? "fine-tuned encoder" : !o.model.empty() ? "encoder of " + o.model : "embeddings";
  j["accuracy"] = accuracy;
  j["label_fraction"] = o.label_fraction;
  if (o.mode == "knn") {
    j["knn_metric"] = o.knn_metric;
    j["k"] = o.k;
    // Euclidean kNN votes one each: no temperature.
    j["temperature"] = o.knn_metric == "cosine" ? nlohmann::json(o.knn_temperature) : nlohmann::json(nullptr);
  }
  if (!extra.empty()) j["selected"] = nlohmann::json::parse(extra);
  j["per_class_accuracy"] = per_class;
  j["class_names"] = class_names;
  j["confusion"] = confusion;
  return j.dump(1);
}

void write_report(const Metrics& m, const FinetuneOptions& o, const std::string& selected) {
  if (!o.metrics.empty()) {
    const std::string text = m.summary_json(o, selected) + "\n";
    io::write_file_atomic(o.metrics, std::vector<uint8_t>(text.begin(), text.end()));
  }
  if (!o.plot.empty()) {
    char acc[32];
    std::snprintf(acc, sizeof acc, "   accuracy %.4f", m.accuracy);
    io::save_png(draw_confusion(m.confusion, m.class_names, (o.title.empty() ? default_title(o) : o.title) + acc), o.plot);
  }
}

}  // namespace sslkit::eval
