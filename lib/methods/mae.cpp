// MAE (He et al., facebookresearch/mae models_mae.py): per-sample random
// masking of the patch grid (from the batch: lib/mask's `patch` scheme),
// the ViT encoder on the visible patches only, a light decoder that puts
// mask tokens back in grid order, adds its own fixed position embeddings
// and predicts each patch's pixels; mean squared error over the masked
// patches only, against per-patch normalised pixels (norm_pix_loss) unless
// told otherwise.
#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

#include "methods/factories.hpp"
#include "methods/mae_decoder.hpp"
#include "models/vit.hpp"
#include "nn/ops.hpp"

namespace sslkit::methods {

using nn::Var;

namespace {

class MaskedAutoencoder : public nn::ModuleImpl<MaskedAutoencoder, Method> {
 public:
  MaskedAutoencoder(const MethodParams& p, Rng& rng) : norm_pix_(p.norm_pix), dec_(mae_decoder(p.own)) {
    const models::EncoderShape shape = encoder_shape(p);
    if (shape.kind != models::EncoderKind::vit)
      throw UsageError("--method mae needs a ViT encoder (" + models::preset_names_of(models::EncoderKind::vit) + "), not " + p.arch);
    auto vit = std::make_unique<models::ViT>(shape, p.in_channels, rng);
    vit->set_pool(p.pool);
    vit_ = vit.get();
    encoder_ = std::move(vit);
    const int64_t D = vit_->out_dim(), P = vit_->patch() * vit_->patch() * p.in_channels;
    if (dec_.width < 4 || dec_.width % 4 || dec_.depth < 1 || dec_.heads < 1 || dec_.width % dec_.heads || dec_.mlp < 1)
      throw UsageError("MAE's decoder: width " + std::to_string(dec_.width) + " (a multiple of 4 and of its " +
                       std::to_string(dec_.heads) + " heads), depth " + std::to_string(dec_.depth) + ", MLP " +
                       std::to_string(dec_.mlp) + " do not make a decoder");
    dec_embed_ = nn::Linear(D, dec_.width, rng);
    mask_token_ = Var(nn::Tensor::zeros({1, dec_.width}), true);
    // Any MLP width, the encoder's epsilon (HF's ViTMAE decoder takes
    // layer_norm_eps from its one config); the default decoder draws what it
    // always drew.
    const float eps = static_cast<float>(shape.eps);
    for (int64_t i = 0; i < dec_.depth; ++i) dec_blocks_.emplace_back(dec_.width, dec_.heads, dec_.mlp, eps, rng);
    dec_norm_ = nn::LayerNorm(dec_.width, eps);
    dec_pred_ = nn::Linear(dec_.width, P, rng);
  }
  MaskedAutoencoder(const MaskedAutoencoder& o)
      : nn::ModuleImpl<MaskedAutoencoder, Method>(o), vit_(dynamic_cast<models::ViT*>(encoder_.get())),
        norm_pix_(o.norm_pix_), dec_(o.dec_), dec_embed_(o.dec_embed_), mask_token_(o.mask_token_), dec_blocks_(o.dec_blocks_),
        dec_norm_(o.dec_norm_), dec_pred_(o.dec_pred_) {}

  Var loss(const Batch& b) override {
    if (b.views.empty()) throw Error("mae", "needs images");
    const Var& x = b.views[0];
    const auto [keep, K, L] = kept_patches(x.value(), b.patch_mask);
    const Var pred = predict(x, keep, K, L);  // [N, L, P] f32
    return nn::mse_masked(pred, Var(patch_targets(x.value(), vit_->patch(), norm_pix_)), b.patch_mask);
  }

  nn::Tensor reconstruct(const nn::Tensor& images, const std::vector<uint8_t>& patch_mask) override {
    nn::NoGrad ng;
    const auto [keep, K, L] = kept_patches(images, patch_mask);
    const nn::Tensor pred = predict(Var(images), keep, K, L).value();  // [N, L, P] f32
    const int64_t p = vit_->patch(), P = pred.dim(2);
    nn::Tensor out = pred;
    if (norm_pix_) {
      // Back from per-patch normalised units with the true patch's mean and std.
      const nn::Tensor raw = patch_targets(images, p, false);
      for (int64_t r = 0; r < raw.dim(0) * L; ++r) {
        const auto [mean, sd] = patch_stats(raw.f32() + r * P, P);
        for (int64_t k = 0; k < P; ++k) out.f32()[r * P + k] = pred.f32()[r * P + k] * sd + mean;
      }
    }
    return unpatchify(out, images.dim(1), images.dim(2), images.dim(3), p);
  }
  int64_t patch_size() const override { return vit_->patch(); }

  // Pixel predictions [N, L, p*p*C] (f32) for every patch, given the kept ones.
  Var predict(const Var& x, const std::vector<int32_t>& keep, int64_t K, int64_t L) {
    const int64_t N = x.shape()[0], E = dec_.width;
    const nn::DType dt = x.value().dtype();
    Var enc = vit_->forward_visible(x, keep, K);                               // [N, 1+K, D]
    Var dec = nn::reshape(dec_embed_.forward(enc), {N * (1 + K), E});          // [N*(1+K), E]
    // Back to grid order: each of the N*(1+L) decoder rows takes its visible
    // token, or the mask token (the table's last row).
    Var table = nn::concat({dec, nn::cast(mask_token_, dt)}, 0);
    std::vector<int32_t> from(N * (1 + L), static_cast<int32_t>(N * (1 + K)));
    for (int64_t n = 0; n < N; ++n) {
      from[n * (1 + L)] = static_cast<int32_t>(n * (1 + K));  // class token
      for (int64_t j = 0; j < K; ++j) from[n * (1 + L) + 1 + keep[n * K + j]] = static_cast<int32_t>(n * (1 + K) + 1 + j);
    }
    Var full = nn::embedding(table, from);
    // Decoder position embeddings: a zero row for the class token, then the grid's.
    const int64_t gw = x.shape()[2] / vit_->patch(), gh = L / gw;
    const nn::Tensor pos = models::sincos_2d(E, gh, gw);
    nn::Tensor tiled = nn::Tensor::zeros({N * (1 + L), E});
    for (int64_t n = 0; n < N; ++n) std::copy(pos.f32(), pos.f32() + L * E, tiled.f32() + (n * (1 + L) + 1) * E);
    Var h = nn::reshape(nn::add(full, Var(tiled.to(dt))), {N, 1 + L, E});
    for (const auto& blk : dec_blocks_) h = blk.forward(h);
    Var out = dec_pred_.forward(dec_norm_.forward(nn::reshape(h, {N * (1 + L), E})));  // [N*(1+L), P]
    std::vector<int32_t> patches(N * L);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t l = 0; l < L; ++l) patches[n * L + l] = static_cast<int32_t>(n * (1 + L) + 1 + l);
    return nn::reshape(nn::cast(nn::embedding(out, patches), nn::DType::f32), {N, L, out.shape()[1]});
  }

  // The kept patches of every image in grid order ([N * K] indices), K and
  // the grid's patch count L; MAE keeps the same count in every image.
  std::tuple<std::vector<int32_t>, int64_t, int64_t> kept_patches(const nn::Tensor& x,
                                                                  const std::vector<uint8_t>& mask) const {
    const int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), p = vit_->patch();
    const int64_t L = (H / p) * (W / p);
    if (static_cast<int64_t>(mask.size()) != N * L)
      throw Error("mae", "the batch holds " + std::to_string(mask.size()) + " patch mask entries for " +
                             std::to_string(N) + " images of " + std::to_string(L) + " patches");
    std::vector<int32_t> keep;
    int64_t K = -1;
    for (int64_t n = 0; n < N; ++n) {
      int64_t k = 0;
      for (int64_t l = 0; l < L; ++l)
        if (!mask[n * L + l]) keep.push_back(static_cast<int32_t>(l)), ++k;
      if (K >= 0 && k != K) throw Error("mae", "images of one batch keep different numbers of patches");
      K = k;
    }
    if (K == 0 || K == L) throw Error("mae", "a mask must hide some patches and keep some");
    return {keep, K, L};
  }

  // A patch's mean and std as MAE's norm_pix_loss takes them (torch's
  // unbiased variance, eps 1e-6 inside the root).
  static std::pair<float, float> patch_stats(const float* v, int64_t P) {
    double mean = 0, var = 0;
    for (int64_t k = 0; k < P; ++k) mean += v[k];
    mean /= P;
    for (int64_t k = 0; k < P; ++k) var += (v[k] - mean) * (v[k] - mean);
    var /= std::max<int64_t>(1, P - 1);
    return {static_cast<float>(mean), static_cast<float>(std::sqrt(var + 1e-6))};
  }

  // Pixels [N, L, p*p*C] in MAE's patchify order (row, column, channel
  // within a patch), normalised per patch when `norm`.
  static nn::Tensor patch_targets(const nn::Tensor& images, int64_t p, bool norm) {
    const nn::Tensor x = images.to(nn::DType::f32);
    const int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3), gh = H / p, gw = W / p, P = p * p * C;
    nn::Tensor t({N, gh * gw, P}, nn::DType::f32);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < gh; ++i)
        for (int64_t j = 0; j < gw; ++j) {
          float* dst = t.f32() + ((n * gh + i) * gw + j) * P;
          for (int64_t a = 0; a < p; ++a)
            for (int64_t c = 0; c < p; ++c)
              for (int64_t ch = 0; ch < C; ++ch)
                dst[(a * p + c) * C + ch] = x.f32()[((n * H + i * p + a) * W + j * p + c) * C + ch];
          if (!norm) continue;
          const auto [mean, sd] = patch_stats(dst, P);
          for (int64_t k = 0; k < P; ++k) dst[k] = (dst[k] - mean) / sd;
        }
    return t;
  }

  // patch_targets' inverse without the normalisation: [N, L, P] -> [N,H,W,C].
  static nn::Tensor unpatchify(const nn::Tensor& t, int64_t H, int64_t W, int64_t C, int64_t p) {
    const int64_t N = t.dim(0), gh = H / p, gw = W / p, P = p * p * C;
    nn::Tensor x({N, H, W, C}, nn::DType::f32);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < gh; ++i)
        for (int64_t j = 0; j < gw; ++j) {
          const float* src = t.f32() + ((n * gh + i) * gw + j) * P;
          for (int64_t a = 0; a < p; ++a)
            for (int64_t c = 0; c < p; ++c)
              for (int64_t ch = 0; ch < C; ++ch)
                x.f32()[((n * H + i * p + a) * W + j * p + c) * C + ch] = src[(a * p + c) * C + ch];
        }
    return x;
  }

  void visit(nn::ModuleVisitor& v) override {
    v.module("encoder", *encoder_);
    v.module("decoder_embed", dec_embed_);
    v.param("mask_token", mask_token_);
    for (size_t i = 0; i < dec_blocks_.size(); ++i) v.module("decoder_block" + std::to_string(i), dec_blocks_[i]);
    v.module("decoder_norm", dec_norm_);
    v.module("decoder_pred", dec_pred_);
  }

 private:
  models::ViT* vit_ = nullptr;
  bool norm_pix_;
  MaeDecoder dec_;
  nn::Linear dec_embed_;
  Var mask_token_;
  std::vector<nn::TransformerBlock> dec_blocks_;
  nn::LayerNorm dec_norm_;
  nn::Linear dec_pred_;
};

}  // namespace

MaeDecoder mae_decoder(const nlohmann::ordered_json& own) {
  MaeDecoder d;
  d.width = own.value("decoder_width", d.width);
  d.depth = own.value("decoder_depth", d.depth);
  d.heads = own.value("decoder_heads", d.heads);
  d.mlp = own.value("decoder_mlp", d.mlp);
  return d;
}

void set_mae_decoder(const MaeDecoder& d, nlohmann::ordered_json& own) {
  own["decoder_width"] = d.width;
  own["decoder_depth"] = d.depth;
  own["decoder_heads"] = d.heads;
  own["decoder_mlp"] = d.mlp;
}

std::unique_ptr<Method> make_mae(const MethodParams& p, Rng& rng) { return std::make_unique<MaskedAutoencoder>(p, rng); }

}  // namespace sslkit::methods
