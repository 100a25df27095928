// Encoders: convnet-s (the reference encoder for 28x28 gray images) and
// ResNet-18 with the CIFAR stem (3x3 conv1, stride 1, no max-pool), for 1-
// or 3-channel input of any size. Input [N,H,W,C] in the compute dtype;
// output [N,D] features.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "nn/layers.hpp"

namespace sslkit::models {

// What every encoder offers: features [N,D] from images [N,H,W,C].
class Encoder : public nn::Module {
 public:
  virtual nn::Var forward(const nn::Var& x) = 0;
  virtual int64_t out_dim() const = 0;
};

// How a ViT cuts and pools; the convolutional encoders ignore it.
struct VitOptions {
  int64_t patch = 4;         // patch side in pixels
  std::string pool = "cls";  // features: the class token, or "mean" of the patch tokens
};

// "convnet-s", "resnet18", "vit-mini", "vit-tiny" (images) or "w2v-mini", "w2v-tiny"
// (audio, in_channels ignored); UsageError for anything else.
// Every --arch the tools accept: the image and audio encoders above and the
// text encoders (text_encoder.hpp).
const std::vector<std::string>& arch_names();

// What an --arch encodes: "image", "text" or "audio". The one place that
// knows, so every message about a wrong --arch says the same thing.
// UsageError for a name that is not an --arch.
std::string arch_modality(const std::string& arch);
// The --arch names for files of `modality`, for messages: "bert-tiny, bert-mini".
std::string arch_names_for(const std::string& modality);
// UsageError unless `arch` encodes `modality` ("image", "text", "audio")
// files: "--arch w2v-tiny is an audio encoder; text.h5 is a text file
// (bert-tiny, bert-mini)". `file` names the input.
void check_arch_modality(const std::string& arch, const std::string& modality, const std::string& file);

std::unique_ptr<Encoder> make_encoder(const std::string& arch, int64_t in_channels, Rng& rng, const VitOptions& vit = {});

// conv3x3(C->32)+BN+ReLU, conv3x3(32->32)+BN+ReLU, maxpool2,
// conv3x3(32->64)+BN+ReLU, conv3x3(64->64)+BN+ReLU, maxpool2,
// conv3x3(64->128)+BN+ReLU, global average pool -> 128 (convnet-s).
// `width` multiplies every layer's channels: convnet-m is width 2 (256
// features, about four times the multiply-adds).
class ConvNetS : public nn::ModuleImpl<ConvNetS, Encoder> {
 public:
  ConvNetS(int64_t in_channels, Rng& rng, int64_t width = 1);
  nn::Var forward(const nn::Var& x) override;
  int64_t out_dim() const override { return 128 * width_; }
  void visit(nn::ModuleVisitor& v) override;

 private:
  std::vector<nn::Conv2d> convs;
  std::vector<nn::BatchNorm> norms;
  int64_t width_ = 1;
};

struct BasicBlock {
  nn::Conv2d conv1, conv2, down;
  nn::BatchNorm bn1, bn2, down_bn;
  bool has_down = false;
};

class ResNet18 : public nn::ModuleImpl<ResNet18, Encoder> {
 public:
  ResNet18(int64_t in_channels, Rng& rng);
  nn::Var forward(const nn::Var& x) override;
  int64_t out_dim() const override { return kOutDim; }
  void visit(nn::ModuleVisitor& v) override;
  static constexpr int64_t kOutDim = 512;

 private:
  nn::Conv2d conv1;
  nn::BatchNorm bn1;
  std::vector<BasicBlock> blocks;
};

}  // namespace sslkit::models
