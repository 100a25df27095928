#include "nn/layers_transformer.hpp"

#include <cmath>

#include "core/error.hpp"

namespace sslkit::nn {

LayerNorm::LayerNorm(int64_t dim, float e) : weight(Tensor::full({dim}, 1.f), true), bias(Tensor::zeros({dim}), true), eps(e) {}

void LayerNorm::visit(ModuleVisitor& v) {
  v.param("weight", weight);
  v.param("bias", bias);
}

Embedding::Embedding(int64_t vocab, int64_t dim, Rng& rng) {
  Tensor t({vocab, dim}, DType::f32);
  for (int64_t i = 0; i < t.numel(); i += 2) {
    // Box-Muller: two normals per pair of uniforms.
    double u1 = std::max(rng.uniform(), 1e-12), u2 = rng.uniform();
    double r = std::sqrt(-2 * std::log(u1));
    t.f32()[i] = static_cast<float>(r * std::cos(2 * M_PI * u2));
    if (i + 1 < t.numel()) t.f32()[i + 1] = static_cast<float>(r * std::sin(2 * M_PI * u2));
  }
  table = Var(t, true);
}

void Embedding::visit(ModuleVisitor& v) { v.param("table", table); }

MultiHeadAttention::MultiHeadAttention(int64_t dim, int64_t h, Rng& rng)
    : q(dim, dim, rng), k(dim, dim, rng), v(dim, dim, rng), out(dim, dim, rng), heads(h) {
  if (dim % h != 0) throw UsageError("attention width " + std::to_string(dim) + " is not a multiple of " + std::to_string(h) + " heads");
}

Var MultiHeadAttention::forward(const Var& x, const std::vector<uint8_t>& key_padding_mask, const Dropout& drop) const {
  if (x.value().rank() != 3 || x.shape()[2] != q.weight.shape()[1])
    SSLKIT_FAIL(std::string("attention of width ") + std::to_string(q.weight.shape()[1]) + " given " +
                        shape_str(x.shape()));
  const int64_t B = x.shape()[0], T = x.shape()[1], D = x.shape()[2], H = heads, dh = D / H;
  // [B,T,D] -> [B*H,T,dh]: each head becomes a batch entry of one batched matmul.
  auto split = [&](const Var& y) { return reshape(transpose(reshape(y, {B, T, H, dh}), 1, 2), {B * H, T, dh}); };
  Var qh = split(q.forward(x)), kh = split(k.forward(x)), vh = split(v.forward(x));
  if (!key_padding_mask.empty() && static_cast<int64_t>(key_padding_mask.size()) != B * T)
    SSLKIT_FAIL(std::string("key padding mask of ") + std::to_string(key_padding_mask.size()) + " entries for " +
                std::to_string(B) + "x" + std::to_string(T) + " tokens");
  // [B*H,T,T], scaled, padding keys masked out.
  Var scores = scale_mask_keys(matmul(qh, kh, /*transpose_b=*/true), 1.0f / std::sqrt(static_cast<float>(dh)),
                               key_padding_mask);
  Var ctx = matmul(drop(softmax(scores)), vh);  // [B*H,T,dh]
  Var merged = reshape(transpose(reshape(ctx, {B, H, T, dh}), 1, 2), {B, T, D});
  return out.forward(merged);
}

void MultiHeadAttention::visit(ModuleVisitor& vis) {
  vis.module("q", q);
  vis.module("k", k);
  vis.module("v", v);
  vis.module("out", out);
}

TransformerBlock::TransformerBlock(int64_t dim, int64_t heads, int64_t mlp, float eps, Rng& rng)
    : ln1(dim, eps), ln2(dim, eps), attn(dim, heads, rng), fc1(dim, mlp, rng), fc2(mlp, dim, rng) {}

Var TransformerBlock::forward(const Var& x, const std::vector<uint8_t>& key_padding_mask, const Dropout& drop) const {
  Var h = add(x, drop(attn.forward(ln1.forward(x), key_padding_mask, drop)));
  return add(h, drop(fc2.forward(gelu(fc1.forward(ln2.forward(h))))));
}

void TransformerBlock::visit(ModuleVisitor& v) {
  v.module("ln1", ln1);
  v.module("attn", attn);
  v.module("ln2", ln2);
  v.module("fc1", fc1);
  v.module("fc2", fc2);
}

}  // namespace sslkit::nn
