#include "train/knn_monitor.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "eval/probe.hpp"

namespace sslkit::train {

namespace {

// Labelled rows of `in` (a seeded choice of at most `max` of them, in
// ascending order) and their labels.
void choose_labelled(const io::DataReader& in, size_t max, uint64_t seed, std::vector<size_t>& rows,
                     std::vector<int32_t>& y) {
  const std::vector<int32_t> labels = in.labels();
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] >= 0) rows.push_back(i);
  if (rows.empty()) throw UsageError(in.name() + " has no labels; --monitor scores kNN accuracy with labelled images");
  Rng rng(seed, 0x3011);
  rng.shuffle(rows);
  rows.resize(std::min(rows.size(), max));
  std::sort(rows.begin(), rows.end());
  for (size_t r : rows) y.push_back(labels[r]);
}

}  // namespace

KnnMonitor::KnnMonitor(const io::DataReader& train, const std::string& val_path, const data::PixelNorm& norm, uint64_t seed,
                       size_t max_bank, size_t max_queries)
    : train_(train), modality_(modality_for(train.modality())), norm_(norm) {
  val_ = std::make_unique<io::DataReader>(val_path);
  const io::DataReader& val = *val_;
  for (const io::DataReader* f : {&train, &val})
    if (f->modality() != io::Modality::image || !f->has("/images"))
      throw UsageError("--monitor scores image encoders: " + f->name() + " holds no /images");
  const auto shape = train.info("/images").shape;
  const auto vshape = val.info("/images").shape;  // rows may differ; each image's shape may not
  if (!std::equal(shape.begin() + 1, shape.end(), vshape.begin() + 1, vshape.end()))
    throw UsageError("--monitor " + val.name() + " holds images of another shape than " + train.name());
  choose_labelled(train, max_bank, seed, bank_rows_, bank_y_);
  choose_labelled(val, max_queries, seed + 1, query_rows_, query_y_);
  classes_ = eval::num_classes(bank_y_, query_y_);
}

std::vector<float> KnnMonitor::embed(methods::Method& m, const io::DataReader& in, const std::vector<size_t>& rows,
                                     nn::DType dt, int64_t* d) const {
  std::vector<float> out;
  const size_t batch = 512;
  const FeatureSpec spec{"backbone", "", false, dt};
  for (size_t s = 0; s < rows.size(); s += batch) {
    const std::vector<size_t> part(rows.begin() + s, rows.begin() + std::min(rows.size(), s + batch));
    const methods::Batch b = modality_.rows(in, part, {norm_, dt});
    nn::NoGrad ng;
    const nn::Tensor f = modality_.features(m, b, spec).value().to(nn::DType::f32);
    *d = f.dim(1);
    out.insert(out.end(), f.f32(), f.f32() + f.numel());
  }
  return out;
}

KnnMonitor::Scores KnnMonitor::score(methods::Method& m, nn::DType dt) const {
  const bool was_training = m.training();
  m.set_training(false);  // batchnorm's running statistics, as ssl-embed sees the encoder
  eval::Features bank, query;
  bank.x = embed(m, train_, bank_rows_, dt, &bank.d);
  query.x = embed(m, *val_, query_rows_, dt, &query.d);
  m.set_training(was_training);
  bank.n = static_cast<int64_t>(bank_y_.size());
  bank.y = bank_y_;
  query.n = static_cast<int64_t>(query_y_.size());
  query.y = query_y_;
  std::vector<size_t> rows(bank_y_.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  Scores out;
  // Both conventions from one similarity pass: lightly's k=200 T=0.1, solo-learn's k=20 T=0.07.
  const auto pred = eval::knn_predict(bank, rows, query, {{200, 0.1}, {20, 0.07}}, classes_);
  out.knn200 = eval::score(pred[0], query_y_, classes_).accuracy;
  out.knn20 = eval::score(pred[1], query_y_, classes_).accuracy;
  return out;
}

}  // namespace sslkit::train
