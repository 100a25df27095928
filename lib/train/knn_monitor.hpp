// The online kNN monitor of self-supervised pretraining (solo-learn's and
// lightly's): every so many steps, the frozen encoder embeds a labelled
// validation file and labelled neighbours (the training file's labelled
// rows, or a bank file's when the training data is unlabelled, as a text
// corpus is), and each validation row's 200 nearest neighbours (cosine,
// votes weighted by exp(sim / 0.1)) predict its class. Any modality: the
// rows are read and pooled through the file's modality (train/modality.hpp)
// under the HDF5 lock, so scoring never reads a file a batch thread is
// reading.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/pixel_norm.hpp"
#include "io/data_file.hpp"
#include "methods/method.hpp"
#include "train/modality.hpp"

namespace sslkit::train {

class KnnMonitor {
 public:
  // Up to `max_bank` labelled rows (a seeded choice) of the file at
  // `bank_path`, or of `train` when it is empty, as the neighbours and up
  // to `max_queries` rows of the file at `val_path`; `norm` the encoder's
  // pixel normalisation (images). UsageError when either file is unlabelled
  // or not of the training file's kind (modality, tokenizer, sample rate,
  // image shape).
  KnnMonitor(const io::DataReader& train, const std::string& val_path, const std::string& bank_path,
             const data::PixelNorm& norm, uint64_t seed, size_t max_bank = 10000, size_t max_queries = 10000);
  // kNN accuracy of the method's encoder now under both conventions users
  // compare: lightly's k = 200, T = 0.1 and solo-learn's k = 20, T = 0.07
  // (one embedding of bank and queries serves both). Leaves the method in
  // the training mode it found.
  struct Scores {
    double knn200 = 0, knn20 = 0;
  };
  Scores score(methods::Method& m, nn::DType dt) const;
  size_t bank_size() const { return bank_y_.size(); }
  size_t queries() const { return query_y_.size(); }
  const char* unit() const { return modality_.unit(); }  // "images", "sequences", "clips"

 private:
  std::vector<float> embed(methods::Method& m, const io::DataReader& in, const std::vector<size_t>& rows, nn::DType dt,
                           int64_t* d) const;
  std::unique_ptr<io::DataReader> bank_file_, val_;
  const io::DataReader* bank_ = nullptr;  // bank_file_ or the training file
  const Modality& modality_;
  data::PixelNorm norm_;
  int classes_ = 0;
  std::vector<size_t> bank_rows_, query_rows_;  // ascending
  std::vector<int32_t> bank_y_, query_y_;
};

}  // namespace sslkit::train
