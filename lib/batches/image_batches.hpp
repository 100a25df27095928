// Batches of images for the trainer: rows in EpochOrder, read one HDF5 call
// per run of rows, augmented on the fly (or taken from ssl-augment views),
// normalised and converted to the compute dtype when the trainer asks. It
// knows nothing of the method: how many views, whether rotation targets,
// which labels are targets, all come in the spec (from the registry).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "augment/recipe.hpp"
#include "data/pixel_norm.hpp"
#include "io/data_file.hpp"
#include "methods/method.hpp"
#include "nn/tensor.hpp"
#include "batches/batch_source.hpp"

namespace sslkit::batches {

struct ImageBatchSpec {
  int batch = 256;
  uint64_t seed = 0;
  data::PixelNorm norm{0.5f, 0.25f};
  int views = 2;                 // augmented views per image (with global_views: the crops)
  int view_size = 0;             // side of each view in pixels (0: the images' own); square
  // Multi-crop: global_views more views, made at the images' own size with
  // global_recipe and put before the `views` crops (at view_size, recipe).
  int global_views = 0;
  augment::Recipe global_recipe;
  bool rotation = false;         // one rotated view per image; its index is the target
  augment::Recipe recipe;
  std::vector<size_t> rows;      // rows to draw from (empty: every row)
  std::vector<int32_t> targets;  // per file row, the target of each image (labels); empty: none
  int64_t first_step = 0;        // the global step of the first batch (resume)
  nn::DType dtype = nn::DType::f32;
  double patch_ratio = 0;        // > 0: a patch mask per image (MAE), this fraction of the grid hidden
  int patch = 4;                 // patch side in pixels for the mask grid
};

// The patch mask MAE trains sample `id` with in `epoch` (1 = hidden, over a
// grid of `patches`): seeded by (seed, id, epoch); epoch 0 is ssl-mask's draw.
std::vector<uint8_t> patch_mask_of(uint64_t seed, int64_t id, int64_t epoch, int patches, double ratio);

class ImageBatches : public BatchSource {
 public:
  ImageBatches(const io::DataReader& in, ImageBatchSpec spec);

 private:
  methods::Batch make(int64_t step) override;

  ImageBatchSpec spec_;
  bool use_views_ = false;
  bool pretext_from_file_ = false;  // rotation: targets from the input's /pretext_labels (ssl-augment --recipe rotation)
  bool masks_from_file_ = false;  // MAE: the input's /mask (ssl-mask --scheme patch)
  int h_ = 0, w_ = 0, c_ = 0, stored_views_ = 1;
};

}  // namespace sslkit::batches
