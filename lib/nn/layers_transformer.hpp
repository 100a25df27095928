// Transformer building blocks: LayerNorm, Embedding, MultiHeadAttention and
// a pre-LN TransformerBlock, composed from the tape's ops.
#pragma once
#include <cstdint>
#include <vector>

#include "nn/layers.hpp"

namespace sslkit::nn {

// Dropout inside a transformer (BERT's places: attention probabilities and
// each residual branch): probability p, masks drawn from rng. The default,
// p 0 or no generator, is none: inference, and every encoder without it.
struct Dropout {
  float p = 0;
  Rng* rng = nullptr;
  bool active() const { return p > 0 && rng != nullptr; }
  Var operator()(const Var& x) const { return active() ? dropout(x, p, true, *rng) : x; }
};

class LayerNorm : public ModuleImpl<LayerNorm> {
 public:
  LayerNorm() = default;
  explicit LayerNorm(int64_t dim, float eps = 1e-5f);
  Var forward(const Var& x) const { return layernorm(x, weight, bias, eps); }
  void visit(ModuleVisitor& v) override;
  Var weight, bias;
  float eps = 1e-5f;
};

class Embedding : public ModuleImpl<Embedding> {
 public:
  Embedding() = default;
  // N(0,1) initialisation, as PyTorch's nn.Embedding.
  Embedding(int64_t vocab, int64_t dim, Rng& rng);
  // ids of `count` rows -> [count, dim].
  Var forward(const std::vector<int32_t>& ids) const { return embedding(table, ids); }
  void visit(ModuleVisitor& v) override;
  Var table;
};

// Scaled dot-product attention over heads: x [B,T,D] -> [B,T,D]. The
// projections are Linear layers (PyTorch's default Linear initialisation).
class MultiHeadAttention : public ModuleImpl<MultiHeadAttention> {
 public:
  MultiHeadAttention() = default;
  MultiHeadAttention(int64_t dim, int64_t heads, Rng& rng);
  Var forward(const Var& x) const { return forward(x, {}); }
  // key_padding_mask: B*T bytes, nonzero = a padding position no query
  // attends to (PyTorch's key_padding_mask); empty = none. A row whose keys
  // are all padding attends uniformly instead of producing NaN. `drop`
  // applies to the attention probabilities.
  Var forward(const Var& x, const std::vector<uint8_t>& key_padding_mask, const Dropout& drop = {}) const;
  void visit(ModuleVisitor& v) override;
  Linear q, k, v, out;
  int64_t heads = 1;
};

// Pre-LN: x + attn(ln1(x)), then x + mlp(ln2(x)) with a GELU MLP of 4x width.
class TransformerBlock : public ModuleImpl<TransformerBlock> {
 public:
  TransformerBlock() = default;
  // Draws ln1, ln2, attn, fc1, fc2 in that order; `mlp` is the MLP's hidden
  // width (any, not only a multiple of dim), `eps` both layer norms'.
  TransformerBlock(int64_t dim, int64_t heads, int64_t mlp, float eps, Rng& rng);
  TransformerBlock(int64_t dim, int64_t heads, Rng& rng) : TransformerBlock(dim, heads, 4 * dim, 1e-5f, rng) {}
  Var forward(const Var& x) const { return forward(x, {}); }
  // key_padding_mask as in MultiHeadAttention; `drop` on the attention
  // probabilities and on both branches before they are added.
  Var forward(const Var& x, const std::vector<uint8_t>& key_padding_mask, const Dropout& drop = {}) const;
  void visit(ModuleVisitor& v) override;
  LayerNorm ln1, ln2;
  MultiHeadAttention attn;
  Linear fc1, fc2;
};

}  // namespace sslkit::nn
