// A model file opened for use: the method rebuilt from its config with its
// weights loaded, and the pixel normalisation it was trained with.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/pixel_norm.hpp"
#include "io/data_file.hpp"
#include "methods/method.hpp"

namespace sslkit::train {

struct TrainedModel {
  std::string config;  // JSON
  std::string method_name, arch;
  std::unique_ptr<methods::Method> method;
  data::PixelNorm norm;  // images: how pixels are normalised (one value, or one per channel)
  int64_t in_channels = 1;
  io::Modality modality = io::Modality::image;  // what it encodes: image, text or audio
  // What the data it takes must match (check_model_input):
  std::vector<uint8_t> tokenizer;  // text: the SentencePiece model its data was tokenized with
  int64_t max_len = 0;             // text: longest sequence its positions cover
  int64_t sample_rate = 0;         // audio: the rate its frames are timed at
};

TrainedModel load_trained_model(const std::string& path);

// The one place a model meets data (ssl-embed, ssl-finetune --model and
// full): the same modality, and for images the channel count, for text the
// same tokenizer and sequences its positions cover, for audio the same
// sample rate. Usage error naming both files.
void check_model_input(const TrainedModel& t, const std::string& model_path, const io::DataReader& in);

// Mean and std of pixel values (in [0,1]) over up to 10,000 samples, drawn
// by a fixed seed from the whole file, of an
// image or views file: the normalisation a model trained on it keeps.
std::pair<float, float> pixel_stats(const io::DataReader& in);

// Checks that an image file fits a model's input, with one clear line.
void check_image_input(const io::DataReader& in, int64_t in_channels);

// A model imported from a checkpoint of a fixed image size (ssl-import
// model: config.json's image_size, /config input_shape) takes images of
// that size only, as the library it came from; an Error naming `in` for
// another. sslkit's own ViTs follow any grid their patch divides.
void check_imported_size(const nlohmann::ordered_json& config, const std::string& model_path, const io::DataReader& in);

// uint8 images [n,H,W,C] to the normalised f32 tensor the encoder takes.
nn::Tensor normalize_images(const uint8_t* px, int64_t n, int64_t h, int64_t w, int64_t c, const data::PixelNorm& norm);

}  // namespace sslkit::train
