// Encoders built from a shape (encoder_shape.hpp: the presets and --arch):
// the plain convnets (convnet-s, the reference encoder for 28x28 gray
// images, and convnet-m) and ResNets with the CIFAR stem (3x3 conv1,
// stride 1, no max-pool) for images of any channels and size, the ViTs
// (vit.hpp) and the wav2vec 2.0 encoders (w2v.hpp). Input [N,H,W,C] in the
// compute dtype; output [N,D] features. Text encoders are not Encoders
// (text_encoder.hpp).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "models/encoder_shape.hpp"
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

// The image or audio encoder of a shape (a text shape is a UsageError: text
// encoders are built by the text methods); `pool` is a ViT's ("cls" or
// "mean"). in_channels is ignored for audio.
std::unique_ptr<Encoder> make_encoder(const EncoderShape& shape, int64_t in_channels, Rng& rng,
                                      const std::string& pool = "cls");
// The same for an --arch (parse_arch), a ViT cut and pooled as `vit` says.
std::unique_ptr<Encoder> make_encoder(const std::string& arch, int64_t in_channels, Rng& rng, const VitOptions& vit = {});

// 3x3 conv+BN+ReLU layers of the given widths, a 2x2 max-pool after every
// second layer but the last, global average pool. convnet-s: 32, 32, 64,
// 64, 128 (pools after layers 1 and 3, 128 features); convnet-m twice as
// wide (256 features, about four times the multiply-adds).
class ConvNetS : public nn::ModuleImpl<ConvNetS, Encoder> {
 public:
  ConvNetS(int64_t in_channels, const std::vector<int64_t>& widths, Rng& rng);
  // convnet-s with every width times `width` (2: convnet-m).
  ConvNetS(int64_t in_channels, Rng& rng, int64_t width = 1);
  nn::Var forward(const nn::Var& x) override;
  int64_t out_dim() const override { return widths_.back(); }
  void visit(nn::ModuleVisitor& v) override;

 private:
  std::vector<nn::Conv2d> convs;
  std::vector<nn::BatchNorm> norms;
  std::vector<int64_t> widths_;
};

struct BasicBlock {
  nn::Conv2d conv1, conv2, down;
  nn::BatchNorm bn1, bn2, down_bn;
  bool has_down = false;
};

// A ResNet of basic blocks: stage s has blocks[s] blocks of widths[s]
// channels, the first of each stage after the first striding by 2;
// torchvision's names. resnet18: widths 64..512, 2 blocks a stage.
class ResNet : public nn::ModuleImpl<ResNet, Encoder> {
 public:
  ResNet(int64_t in_channels, const std::vector<int64_t>& widths, const std::vector<int64_t>& blocks, Rng& rng);
  nn::Var forward(const nn::Var& x) override;
  int64_t out_dim() const override { return out_dim_; }
  void visit(nn::ModuleVisitor& v) override;

 private:
  int64_t out_dim_ = 0;
  std::vector<int64_t> stage_blocks_;
  nn::Conv2d conv1;
  nn::BatchNorm bn1;
  std::vector<BasicBlock> blocks;
};

// resnet18 (the preset's shape).
class ResNet18 : public ResNet {
 public:
  ResNet18(int64_t in_channels, Rng& rng);
};

}  // namespace sslkit::models
