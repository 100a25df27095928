#include "models/transformer_stack.hpp"

#include "nn/ops.hpp"

namespace sslkit::models {

TransformerStack::TransformerStack(const EncoderShape& s, Rng& rng)
    : placement_(s.norm), norm_(s.width, static_cast<float>(s.eps)) {
  const float eps = static_cast<float>(s.eps);
  for (int64_t i = 0; i < s.depth; ++i) {
    // Member by member, in nn::TransformerBlock's order (ln1, ln2, attn,
    // fc1, fc2), so the MLP may be any width, not only a multiple.
    nn::TransformerBlock b;
    b.ln1 = nn::LayerNorm(s.width, eps);
    b.ln2 = nn::LayerNorm(s.width, eps);
    b.attn = nn::MultiHeadAttention(s.width, s.heads, rng);
    b.fc1 = nn::Linear(s.width, s.mlp, rng);
    b.fc2 = nn::Linear(s.mlp, s.width, rng);
    blocks_.push_back(std::move(b));
  }
}

nn::Var post_ln_block(const nn::TransformerBlock& b, const nn::Var& x, const std::vector<uint8_t>& key_padding_mask) {
  nn::Var h = b.ln1.forward(nn::add(x, b.attn.forward(x, key_padding_mask)));
  return b.ln2.forward(nn::add(h, b.fc2.forward(nn::gelu(b.fc1.forward(h)))));
}

nn::Var TransformerStack::forward(const nn::Var& x, const std::vector<uint8_t>& key_padding_mask) const {
  if (placement_ == NormPlacement::post) {
    nn::Var h = norm_.forward(x);
    for (const auto& b : blocks_) h = post_ln_block(b, h, key_padding_mask);
    return h;
  }
  nn::Var h = x;
  for (const auto& b : blocks_) h = b.forward(h, key_padding_mask);
  return norm_.forward(h);
}

void TransformerStack::visit(nn::ModuleVisitor& v) {
  for (size_t i = 0; i < blocks_.size(); ++i) v.module("block" + std::to_string(i), blocks_[i]);
  v.module("norm", norm_);
}

}  // namespace sslkit::models
