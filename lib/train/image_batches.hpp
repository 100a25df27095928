// Batches of images for the trainer, prepared on a background thread while
// the engine trains: rows drawn by a seeded permutation per epoch, read in
// one HDF5 call per batch, augmented on the fly (or taken from ssl-augment
// views), normalised and converted to the compute dtype. It knows nothing
// of the method: how many views, whether rotation targets, which labels
// are targets, all come in the spec.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "augment/recipe.hpp"
#include "io/data_file.hpp"
#include "methods/method.hpp"
#include "nn/tensor.hpp"

namespace sslkit::train {

struct ImageBatchSpec {
  int batch = 256;
  uint64_t seed = 0;
  float mean = 0.5f, stdev = 0.25f;
  int views = 2;                 // augmented views per image
  bool rotation = false;         // one rotated view per image; its index is the target
  augment::Recipe recipe;
  std::vector<size_t> rows;      // rows to draw from (empty: every row)
  std::vector<int32_t> targets;  // per file row, the target of each image (labels); empty: none
  int64_t first_step = 0;        // the global step of the first batch (resume)
  nn::DType dtype = nn::DType::f32;
  int prefetch = 2;              // batches prepared ahead
};

class ImageBatches {
 public:
  // Every HDF5 call here holds io::hdf5_mutex().
  ImageBatches(const io::DataReader& in, ImageBatchSpec spec);
  ~ImageBatches();
  ImageBatches(const ImageBatches&) = delete;
  ImageBatches& operator=(const ImageBatches&) = delete;
  methods::Batch next();
  int64_t steps_per_epoch() const { return steps_per_epoch_; }
  int height() const { return h_; }
  int width() const { return w_; }
  int channels() const { return c_; }
  // Seconds the preparing thread has spent making batches so far.
  double busy_seconds() const { return busy_.load(); }

 private:
  // Tensors only: Vars are made on the trainer's thread, in next().
  struct Prepared {
    std::vector<nn::Tensor> views;
    std::vector<int32_t> targets;
  };
  void loop();
  Prepared make(int64_t step);

  const io::DataReader& in_;
  ImageBatchSpec spec_;
  bool use_views_ = false, has_ids_ = false;
  int h_ = 0, w_ = 0, c_ = 0, stored_views_ = 1;
  int64_t steps_per_epoch_ = 0, next_step_ = 0, perm_epoch_ = -1;
  std::vector<size_t> perm_;
  std::thread thread_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<Prepared> ready_;
  bool stop_ = false;
  std::atomic<double> busy_{0};
  std::string error_;
};

}  // namespace sslkit::train
