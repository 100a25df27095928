// The wav2vec 2.0 encoder for raw audio, sized for a 2-core machine
// (w2v-mini): a convolutional feature encoder turns a waveform into latent
// frames (kernels 10,3,3,3,3,2,2, strides 5,2,2,2,2,2,2: 320 samples = 20 ms
// per frame at 16 kHz, receptive field 400 samples; group norm on the first
// layer, GELU after each; no biases), a layer norm, a projection to the
// transformer's width, a convolutional relative position embedding, and
// pre-LN transformer blocks with a final layer norm (wav2vec 2.0 large's
// layer_norm_first arrangement, which trains stably at small batches).
// Departure from fairseq: the position convolution has no weight norm.
// As an Encoder, forward() gives the mean over frames of the context, so the
// image methods that only need features (simclr, supervised) train it too.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/encoders.hpp"
#include "nn/layers_transformer.hpp"

namespace sslkit::models {

struct W2VShape {
  int64_t conv_channels;                  // every conv layer's width (fairseq: 512)
  std::vector<int64_t> kernels, strides;  // of the conv layers
  int64_t width, depth, heads, mlp;       // transformer (mlp: hidden = mlp x width)
  int64_t pos_kernel, pos_groups;         // the position convolution (fairseq: 128, 16)
};
// w2v-mini: 128 conv channels, width 256, 4 blocks of 4 heads, position
// kernel 15 in 16 groups (0.3 s of context at 50 frames/s); w2v-tiny (tests):
// 32 channels, width 64, 2 blocks of 2 heads, kernel 5 in 4 groups.
// UsageError for another name.
W2VShape w2v_shape(const std::string& arch);
inline bool is_audio_arch(const std::string& arch) { return arch.rfind("w2v-", 0) == 0; }
// Latent frames the conv stack makes of `samples` samples (0 when too few).
int64_t w2v_frames(const W2VShape& s, int64_t samples);

// Each clip of `wave` [B,T] (f32) standardised over its first lengths[b]
// samples (zero mean, unit variance: fairseq's normalize=True, the Hugging
// Face feature extractor's do_normalize); samples past the length stay 0.
nn::Tensor normalize_waveform(const nn::Tensor& wave, const std::vector<int32_t>& lengths);

class W2VEncoder : public nn::ModuleImpl<W2VEncoder, Encoder> {
 public:
  W2VEncoder(const std::string& arch, Rng& rng);
  // Latent features [B,F,C] (f32 out of `dtype` compute) of waveforms [B,T]
  // or [B,T,1] already normalised, before the layer norm; the feature
  // penalty is taken on these. grad_mult scales their gradient (fairseq's
  // feature_grad_mult, 0.1 in pretraining).
  nn::Var conv_features(const nn::Var& wave, nn::DType dtype, float grad_mult = 1.0f) const;
  // The layer norm over channels of conv features [B,F,C].
  nn::Var norm_features(const nn::Var& feats) const { return feature_norm.forward(feats); }
  // Context [B,F,D] of normed features [B,F,C]: projected, the frames where
  // mask [B*F] is 1 replaced by the mask embedding (empty: none), the
  // position convolution added, the blocks (padding [B*F], 1 = past the
  // clip's end, ignored as keys; empty: none), the final norm.
  nn::Var context(const nn::Var& features, const std::vector<uint8_t>& mask, const std::vector<uint8_t>& padding) const;
  // Frames [B,F,D] of the clips (f32 [B,T], normalised inside) and the
  // padding mask it used; `valid` receives each clip's real frames.
  nn::Var frames(const nn::Tensor& wave, const std::vector<int32_t>& lengths, nn::DType dtype,
                 std::vector<int32_t>* valid = nullptr) const;
  // Clip features [B,D]: the mean of frames() over each clip's real frames.
  nn::Var embed(const nn::Tensor& wave, const std::vector<int32_t>& lengths, nn::DType dtype) const;
  // Encoder: views [B,T,1] in their dtype (real up to the last nonzero
  // sample) -> [B,D].
  nn::Var forward(const nn::Var& x) override;
  int64_t out_dim() const override { return shape_.width; }
  const W2VShape& shape() const { return shape_; }
  // Valid frames per clip for lengths in samples.
  std::vector<int32_t> valid_frames(const std::vector<int32_t>& lengths) const;
  void visit(nn::ModuleVisitor& v) override;
  nn::Var mask_emb;  // [D], replaces masked frames

 private:
  W2VShape shape_;
  std::vector<nn::Var> convs_;  // [C, C_in, k], no bias
  nn::Var gn_weight_, gn_bias_; // the first layer's group norm
  nn::LayerNorm feature_norm;
  nn::Linear project_;
  nn::Var pos_weight_, pos_bias_;  // [D, D/groups, k]
  std::vector<nn::TransformerBlock> blocks_;
  nn::LayerNorm final_;
};

}  // namespace sslkit::models
