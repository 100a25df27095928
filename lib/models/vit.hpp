// Vision Transformers as MAE builds them: a patch embedding (a strided
// convolution), fixed 2-D sine-cosine position embeddings, a class token,
// transformer blocks (pre-LN with a final layernorm, or post-LN) of the
// shape's width, depth, heads, MLP and epsilon (presets: encoder_shape.hpp).
// Patch side 4 by default (49 tokens for 28x28, 64 for 32x32); the position
// grid follows the input, so any size that the patch divides works.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "models/encoder_shape.hpp"
#include "models/encoders.hpp"
#include "models/transformer_stack.hpp"
#include "nn/layers_transformer.hpp"
#include "nn/optim.hpp"

namespace sslkit::models {

// True for an --arch whose preset is a ViT (vit-*, with or without keys).
inline bool is_vit_arch(const std::string& arch) { return arch.rfind("vit-", 0) == 0; }

// MAE's get_2d_sincos_pos_embed: [gh * gw, dim], row-major over the grid;
// the first half of the channels encodes the column, the second the row
// (as MAE's meshgrid order gives), each half sin then cos.
nn::Tensor sincos_2d(int64_t dim, int64_t gh, int64_t gw);

// Sets the pooling of `e` if it is a ViT; a UsageError naming `what` if it
// is not (only ViTs and text encoders have a choice).
class ViT;
void set_vit_pool(Encoder& e, const std::string& pool, const std::string& what);

// MAE's layer-wise learning-rate decay (param_groups_lrd): the patch
// embedding and class token are layer 0, block i layer i+1, the final norm
// layer depth+1; a parameter of layer l trains at layer_decay^(depth+1-l)
// of the peak rate. Biases, norm parameters and the class token get no
// weight decay. `vit` must be a ViT.
std::vector<nn::ParamGroup> vit_layer_groups(Encoder& vit, double weight_decay, double layer_decay);

class ViT : public nn::ModuleImpl<ViT, Encoder> {
 public:
  // A shape of kind vit (its patch the side of the patches).
  ViT(const EncoderShape& shape, int64_t in_channels, Rng& rng);
  // Features [N, width] after the final norm: the class token's (MAE's
  // linear probe), or the mean of the patch tokens (MAE's fine-tuning).
  nn::Var forward(const nn::Var& x) override;
  // "cls" or "mean"; UsageError for anything else.
  void set_pool(const std::string& pool);
  const std::string& pool() const { return pool_; }
  // MAE's encoder: only the patches `keep` lists ([N * keep_count]
  // indices into each image's row-major patch grid) go through the blocks;
  // returns [N, 1 + keep_count, width], the class token first.
  nn::Var forward_visible(const nn::Var& x, const std::vector<int32_t>& keep, int64_t keep_count);
  int64_t out_dim() const override { return shape_.width; }
  int64_t patch() const { return patch_; }
  const EncoderShape& shape() const { return shape_; }
  int64_t in_channels() const { return in_channels_; }
  void visit(nn::ModuleVisitor& v) override;

 private:
  // Patch tokens with their position embeddings: [N * L, width], and L.
  std::pair<nn::Var, int64_t> tokens(const nn::Var& x);
  // [N, 1 + T, width] through the blocks and the final norm.
  nn::Var encode(const nn::Var& patches, int64_t n, int64_t t);
  EncoderShape shape_;
  int64_t patch_, in_channels_;
  std::string pool_ = "cls";
  nn::Conv2d embed_;
  nn::Var cls_;  // [1, width]
  TransformerStack stack_;
};

}  // namespace sslkit::models
