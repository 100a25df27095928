// The transformer blocks of the ViT, text and wav2vec 2.0 encoders and their
// one extra layer norm, arranged as the shape says: pre-LN (x + f(LN(x)) in
// each block, the norm after the last block) or post-LN (LN(x + f(x)) in
// each block, the norm before the first, on the embeddings: BERT's and
// wav2vec2-base's arrangement). Parameter names are the same either way
// ("block{i}.ln1", ..., "norm"), so a shape's norm placement is in /config,
// not in the names.
#pragma once
#include <cstdint>
#include <vector>

#include "models/encoder_shape.hpp"
#include "nn/layers_transformer.hpp"

namespace sslkit::models {

class TransformerStack {
 public:
  TransformerStack() = default;
  // Draws the blocks' weights from rng block by block, in the order
  // nn::TransformerBlock's constructor does (so a pre-LN preset initialises
  // as it always has); every layer norm gets the shape's epsilon.
  TransformerStack(const EncoderShape& s, Rng& rng);
  // x [B,T,width] -> [B,T,width]; key_padding_mask as in nn::MultiHeadAttention;
  // `drop` on the embeddings as they enter (after the first norm when
  // post-LN: BERT's embedding dropout) and inside every block.
  nn::Var forward(const nn::Var& x, const std::vector<uint8_t>& key_padding_mask = {},
                  const nn::Dropout& drop = {}) const;
  // Registers "block{i}" and "norm" (after the blocks, as the encoders always have).
  void visit(nn::ModuleVisitor& v);
  int64_t depth() const { return static_cast<int64_t>(blocks_.size()); }

 private:
  NormPlacement placement_ = NormPlacement::pre;
  std::vector<nn::TransformerBlock> blocks_;
  nn::LayerNorm norm_;
};

// One post-LN block: LN1(x + attn(x)), then LN2(h + fc2(gelu(fc1(h)))),
// `drop` where the pre-LN block has it.
nn::Var post_ln_block(const nn::TransformerBlock& b, const nn::Var& x, const std::vector<uint8_t>& key_padding_mask,
                      const nn::Dropout& drop = {});

}  // namespace sslkit::models
