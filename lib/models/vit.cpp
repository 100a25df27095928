#include "models/vit.hpp"

#include <cmath>

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace sslkit::models {

nn::Tensor sincos_2d(int64_t dim, int64_t gh, int64_t gw) {
  if (dim % 4 != 0) throw UsageError("sine-cosine position embeddings need a width divisible by 4");
  nn::Tensor t({gh * gw, dim}, nn::DType::f32);
  const int64_t quarter = dim / 4;
  for (int64_t i = 0; i < gh; ++i)
    for (int64_t j = 0; j < gw; ++j) {
      float* row = t.f32() + (i * gw + j) * dim;
      // MAE: emb_h from grid[0] (the column index, meshgrid(w, h)), emb_w from grid[1].
      const double pos[2] = {static_cast<double>(j), static_cast<double>(i)};
      for (int half = 0; half < 2; ++half)
        for (int64_t k = 0; k < quarter; ++k) {
          const double omega = 1.0 / std::pow(10000.0, static_cast<double>(k) / quarter);
          row[half * 2 * quarter + k] = static_cast<float>(std::sin(pos[half] * omega));
          row[half * 2 * quarter + quarter + k] = static_cast<float>(std::cos(pos[half] * omega));
        }
    }
  return t;
}

namespace {
const EncoderShape& checked_vit(const EncoderShape& s) {
  SSLKIT_CHECK(s.kind == EncoderKind::vit, "a ViT built from a " + kind_name(s.kind) + " shape");
  if (s.patch < 1) throw UsageError("--patch must be at least 1");
  return s;
}
}  // namespace

ViT::ViT(const EncoderShape& shape, int64_t in_channels, Rng& rng)
    : shape_(checked_vit(shape)),
      patch_(shape.patch),
      in_channels_(in_channels),
      embed_(in_channels, shape_.width, shape.patch, rng, shape.patch) {
  // MAE: the class token N(0, 0.02).
  nn::Tensor c({1, shape_.width}, nn::DType::f32);
  for (int64_t i = 0; i < shape_.width; ++i) {
    const double u1 = std::max(rng.uniform(), 1e-12), u2 = rng.uniform();
    c.f32()[i] = static_cast<float>(0.02 * std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2));
  }
  cls_ = nn::Var(c, true);
  stack_ = TransformerStack(shape_, rng);
}

std::pair<nn::Var, int64_t> ViT::tokens(const nn::Var& x) {
  if (x.value().rank() != 4 || x.shape()[3] != in_channels_)
    throw Error("vit", "expects images [N,H,W," + std::to_string(in_channels_) + "], given " + nn::shape_str(x.shape()));
  const int64_t N = x.shape()[0], H = x.shape()[1], W = x.shape()[2], D = shape_.width;
  if (H % patch_ != 0 || W % patch_ != 0)
    throw UsageError(std::to_string(H) + "x" + std::to_string(W) + " images do not split into " +
                     std::to_string(patch_) + "-pixel patches");
  const int64_t gh = H / patch_, gw = W / patch_, L = gh * gw;
  nn::Var t = nn::reshape(embed_.forward(x), {N * L, D});  // [N,gh,gw,D] row-major = patches in grid order
  // The fixed position embeddings, tiled over the batch (a constant).
  const nn::Tensor pos = sincos_2d(D, gh, gw);
  nn::Tensor tiled({N * L, D}, nn::DType::f32);
  for (int64_t n = 0; n < N; ++n) std::copy(pos.f32(), pos.f32() + L * D, tiled.f32() + n * L * D);
  return {nn::add(t, nn::Var(tiled.to(t.value().dtype()))), L};
}

nn::Var ViT::encode(const nn::Var& patches, int64_t n, int64_t t) {
  const int64_t D = shape_.width;
  // The class token (its position embedding is MAE's zero row), first in each sequence.
  nn::Var cls = nn::reshape(nn::cast(nn::embedding(cls_, std::vector<int32_t>(n, 0)), patches.value().dtype()), {n, 1, D});
  return stack_.forward(nn::concat({cls, nn::reshape(patches, {n, t, D})}, 1));
}

void ViT::set_pool(const std::string& pool) {
  if (pool != "cls" && pool != "mean") throw UsageError("a ViT pools by cls or mean, not '" + pool + "'");
  pool_ = pool;
}

void set_vit_pool(Encoder& e, const std::string& pool, const std::string& what) {
  auto* v = dynamic_cast<ViT*>(&e);
  if (!v) throw UsageError("--pool goes with ViT and text models; " + what + " has a convolutional encoder");
  if (pool != "cls" && pool != "mean") throw UsageError("--pool " + pool + " goes with text models; " + what + " is a ViT (cls or mean)");
  v->set_pool(pool);
}

nn::Var ViT::forward(const nn::Var& x) {
  auto [t, L] = tokens(x);
  const int64_t N = x.shape()[0], D = shape_.width;
  nn::Var h = nn::reshape(encode(t, N, L), {N * (L + 1), D});
  if (pool_ == "cls") {
    std::vector<int32_t> first(N);
    for (int64_t n = 0; n < N; ++n) first[n] = static_cast<int32_t>(n * (L + 1));
    return nn::embedding(h, first);
  }
  // The patch tokens of each image as an [N, L, 1, D] "image", averaged.
  std::vector<int32_t> patches(N * L);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t l = 0; l < L; ++l) patches[n * L + l] = static_cast<int32_t>(n * (L + 1) + 1 + l);
  return nn::global_avg_pool(nn::reshape(nn::embedding(h, patches), {N, L, 1, D}));
}

nn::Var ViT::forward_visible(const nn::Var& x, const std::vector<int32_t>& keep, int64_t keep_count) {
  auto [t, L] = tokens(x);
  const int64_t N = x.shape()[0];
  if (static_cast<int64_t>(keep.size()) != N * keep_count)
    SSLKIT_FAIL("forward_visible: " + std::to_string(keep.size()) + " kept indices for " + std::to_string(N) + " x " +
                std::to_string(keep_count));
  std::vector<int32_t> rows(keep.size());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t j = 0; j < keep_count; ++j) {
      const int32_t p = keep[n * keep_count + j];
      if (p < 0 || p >= L) SSLKIT_FAIL("forward_visible: patch " + std::to_string(p) + " outside the grid");
      rows[n * keep_count + j] = static_cast<int32_t>(n * L + p);
    }
  return encode(nn::embedding(t, rows), N, keep_count);
}

std::vector<nn::ParamGroup> vit_layer_groups(Encoder& e, double weight_decay, double layer_decay) {
  auto* vit = dynamic_cast<ViT*>(&e);
  SSLKIT_CHECK(vit, "layer-wise decay asked of an encoder that is not a ViT");
  const int64_t top = vit->shape().depth + 1;
  // Two groups per layer: decayed weights, and the rest.
  std::vector<nn::ParamGroup> groups(2 * (top + 1));
  for (int64_t l = 0; l <= top; ++l)
    for (int k = 0; k < 2; ++k)
      groups[2 * l + k] = {{}, std::pow(layer_decay, static_cast<double>(top - l)), k == 0 ? weight_decay : 0.0, k == 1};
  for (auto& [name, p] : e.named_parameters()) {
    int64_t layer = top;
    if (name.rfind("patch_embed", 0) == 0 || name == "cls_token") layer = 0;
    else if (name.rfind("block", 0) == 0) layer = std::stoll(name.substr(5)) + 1;
    const bool flat = p->value().rank() == 1 || name == "cls_token";
    groups[2 * layer + (flat ? 1 : 0)].params.push_back(p);
  }
  return groups;
}

void ViT::visit(nn::ModuleVisitor& v) {
  v.module("patch_embed", embed_);
  v.param("cls_token", cls_);
  stack_.visit(v);
}

}  // namespace sslkit::models
