// What a masked image model makes of images it sees only in part: a PNG
// with one row per sample, showing the original, the masked input, the
// reconstruction, and the reconstruction with the visible patches pasted
// back (MAE's demo). ssl-pretrain --recon writes one during training,
// ssl-info --reconstruct for any model and image file.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/pixel_norm.hpp"
#include "io/data_file.hpp"
#include "io/files.hpp"
#include "methods/method.hpp"
#include "nn/tensor.hpp"

namespace sslkit::train {

struct ReconstructionSamples {
  std::vector<size_t> rows;      // which rows of the file, sorted
  std::vector<uint8_t> pixels;   // their images, [n, H, W, C] uint8
  std::vector<uint8_t> mask;     // [n * patches], 1 = hidden
  int64_t h = 0, w = 0, c = 0;
};

// `count` rows spread evenly over `in`, their images and the masks epoch 0
// of training draws for them (patch side `patch`, `ratio` hidden, `seed`).
ReconstructionSamples reconstruction_samples(const io::DataReader& in, int count, int64_t patch, double ratio,
                                             uint64_t seed);

// Runs `m` (in inference mode; its training mode is restored) on the
// samples and writes the PNG; mean/stdev are the model's pixel normalisation.
// During training the PNG is replaced at once (`when` now), so it can be
// watched, as checkpoints are.
void write_reconstructions(methods::Method& m, const ReconstructionSamples& s, const data::PixelNorm& norm, nn::DType dt,
                           const std::string& png, io::Commit when = io::Commit::with_run);

// The same for a model file and an image file (ssl-info --reconstruct).
void reconstruct_file(const std::string& model, const std::string& images, int count, uint64_t seed,
                      const std::string& png);

}  // namespace sslkit::train
