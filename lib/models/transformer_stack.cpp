#include "models/transformer_stack.hpp"

#include "nn/ops.hpp"

namespace sslkit::models {

TransformerStack::TransformerStack(const EncoderShape& s, Rng& rng)
    : placement_(s.norm), norm_(s.width, static_cast<float>(s.eps)) {
  const float eps = static_cast<float>(s.eps);
  for (int64_t i = 0; i < s.depth; ++i) blocks_.emplace_back(s.width, s.heads, s.mlp, eps, rng);
}

nn::Var post_ln_block(const nn::TransformerBlock& b, const nn::Var& x, const std::vector<uint8_t>& key_padding_mask,
                      const nn::Dropout& drop) {
  nn::Var h = b.ln1.forward(nn::add(x, drop(b.attn.forward(x, key_padding_mask, drop))));
  return b.ln2.forward(nn::add(h, drop(b.fc2.forward(nn::gelu(b.fc1.forward(h))))));
}

nn::Var TransformerStack::forward(const nn::Var& x, const std::vector<uint8_t>& key_padding_mask,
                                  const nn::Dropout& drop) const {
  if (placement_ == NormPlacement::post) {
    nn::Var h = drop(norm_.forward(x));
    for (const auto& b : blocks_) h = post_ln_block(b, h, key_padding_mask, drop);
    return h;
  }
  nn::Var h = drop(x);
  for (const auto& b : blocks_) h = b.forward(h, key_padding_mask, drop);
  return norm_.forward(h);
}

void TransformerStack::visit(nn::ModuleVisitor& v) {
  for (size_t i = 0; i < blocks_.size(); ++i) v.module("block" + std::to_string(i), blocks_[i]);
  v.module("norm", norm_);
}

}  // namespace sslkit::models
