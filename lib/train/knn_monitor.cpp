#include "train/knn_monitor.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "eval/probe.hpp"
#include "io/same_kind.hpp"

namespace sslkit::train {

namespace {

// Labelled rows of `in` (a seeded choice of at most `max` of them, in
// ascending order) and their labels. `is_training_file`: `in` is the run's
// own input, so an unlabelled one is told about --monitor-bank.
void choose_labelled(const io::DataReader& in, size_t max, uint64_t seed, std::vector<size_t>& rows,
                     std::vector<int32_t>& y, bool is_training_file) {
  const std::vector<int32_t> labels = in.labels();
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] >= 0) rows.push_back(i);
  if (rows.empty())
    throw UsageError(in.name() + " has no labels; --monitor scores kNN accuracy with labelled rows" +
                     (is_training_file ? " (an unlabelled training file takes its neighbours from --monitor-bank FILE)" : ""));
  Rng rng(seed, 0x3011);
  rng.shuffle(rows);
  rows.resize(std::min(rows.size(), max));
  std::sort(rows.begin(), rows.end());
  for (size_t r : rows) y.push_back(labels[r]);
}

}  // namespace

KnnMonitor::KnnMonitor(const io::DataReader& train, const std::string& val_path, const std::string& bank_path,
                       const data::PixelNorm& norm, uint64_t seed, size_t max_bank, size_t max_queries)
    : modality_(modality_for(train.modality())), norm_(norm) {
  val_ = std::make_unique<io::DataReader>(val_path);
  if (!bank_path.empty()) bank_file_ = std::make_unique<io::DataReader>(bank_path);
  bank_ = bank_file_ ? bank_file_.get() : &train;
  const io::DataReader& val = *val_;
  // The neighbours and queries must be what the encoder reads from the
  // training file: one modality, tokenizer or sample rate, image shape.
  for (const io::DataReader* f : {bank_file_.get(), val_.get()}) {
    if (!f) continue;
    try {
      io::check_same_kind(train, *f);
    } catch (const UsageError& e) {
      throw UsageError(std::string(f == val_.get() ? "--monitor: " : "--monitor-bank: ") + e.what());
    }
  }
  if (train.modality() == io::Modality::image) {
    for (const io::DataReader* f : {bank_, static_cast<const io::DataReader*>(val_.get())})
      if (!f->has("/images")) throw UsageError("--monitor needs labelled images: " + f->name() + " holds no /images");
    const auto shape = bank_->info("/images").shape;
    const auto vshape = val.info("/images").shape;  // rows may differ; each image's shape may not
    if (!std::equal(shape.begin() + 1, shape.end(), vshape.begin() + 1, vshape.end()))
      throw UsageError("--monitor " + val.name() + " holds images of another shape than " + bank_->name());
  }
  choose_labelled(*bank_, max_bank, seed, bank_rows_, bank_y_, bank_file_ == nullptr);
  choose_labelled(val, max_queries, seed + 1, query_rows_, query_y_, false);
  classes_ = eval::num_classes(bank_y_, query_y_);
}

std::vector<float> KnnMonitor::embed(methods::Method& m, const io::DataReader& in, const std::vector<size_t>& rows,
                                     nn::DType dt, int64_t* d) const {
  std::vector<float> out;
  const size_t batch = std::min<size_t>(512, modality_.max_inference_batch());
  FeatureSpec spec{"backbone", "", false, dt};
  modality_.prepare_features(m, spec, "the encoder");  // the pooling the method trained (text: its sentence pool)
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
  bank.x = embed(m, *bank_, bank_rows_, dt, &bank.d);
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
