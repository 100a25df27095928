// The online kNN monitor of self-supervised pretraining (solo-learn's and
// lightly's): every so many steps, the frozen encoder embeds a labelled
// validation file and the training file's labelled rows, and each
// validation image's 200 nearest training images (cosine, votes weighted by
// exp(sim / 0.1)) predict its class. The rows are chosen once; each score
// reads them through the file's modality (train/modality.hpp) under the
// HDF5 lock, so scoring never reads a file a batch thread is reading.
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
  // Up to `max_bank` labelled rows of `train` (a seeded choice) as the
  // neighbours and up to `max_queries` rows of the file at `val_path`;
  // `mean`, `stdev` the encoder's pixel normalisation. UsageError when
  // either file is not labelled images of the training images' shape.
  KnnMonitor(const io::DataReader& train, const std::string& val_path, const data::PixelNorm& norm, uint64_t seed,
             size_t max_bank = 10000, size_t max_queries = 10000);
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

 private:
  std::vector<float> embed(methods::Method& m, const io::DataReader& in, const std::vector<size_t>& rows, nn::DType dt,
                           int64_t* d) const;
  const io::DataReader& train_;
  std::unique_ptr<io::DataReader> val_;
  const Modality& modality_;
  data::PixelNorm norm_;
  int classes_ = 0;
  std::vector<size_t> bank_rows_, query_rows_;  // ascending
  std::vector<int32_t> bank_y_, query_y_;
};

}  // namespace sslkit::train
