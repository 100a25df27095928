// The wav2vec 2.0 encoder for raw audio, of any shape (presets sized for a
// 2-core machine: w2v-mini, w2v-tiny; imported checkpoints: any number of
// conv layers of any widths): a convolutional feature encoder turns a
// waveform into latent frames (the presets' kernels 10,3,3,3,3,2,2, strides
// 5,2,2,2,2,2,2: 320 samples = 20 ms per frame at 16 kHz, receptive field
// 400 samples; GELU after each conv; feature_norm "group": a group norm on
// the first layer and no biases (wav2vec2-base), "layer": a layer norm over
// channels after every conv, with conv biases (large-lv60, XLS-R)), a layer
// norm, a projection to the transformer's width, a convolutional relative
// position embedding, and transformer blocks: pre-LN with a final layer
// norm (wav2vec 2.0 large's layer_norm_first arrangement, Hugging Face's
// do_stable_layer_norm, which trains stably at small batches; the presets),
// or post-LN with the norm before the blocks (wav2vec2-base's).
// The position convolution holds its weight W itself (the presets: a
// departure from fairseq and Hugging Face), or, with the shape's
// pos_weight_norm, under their weight norm W = g * v / |v| (the norm over
// all but the tap axis), trained as g and v (imported checkpoints).
// As an Encoder, forward() gives the mean over frames of the context, so the
// image methods that only need features (simclr, supervised) train it too.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/encoders.hpp"
#include "models/encoder_shape.hpp"
#include "models/transformer_stack.hpp"
#include "nn/layers_transformer.hpp"

namespace sslkit::models {

using W2VShape = EncoderShape;
// The shape of an audio --arch (w2v-mini, w2v-tiny, with or without keys;
// encoder_shape.cpp has the presets' numbers). UsageError for another.
EncoderShape w2v_shape(const std::string& arch);
// True for an --arch whose preset is an audio encoder (w2v-*).
inline bool is_audio_arch(const std::string& arch) { return arch.rfind("w2v-", 0) == 0; }
// Latent frames the conv stack makes of `samples` samples (0 when too few).
int64_t w2v_frames(const EncoderShape& s, int64_t samples);

// Each clip of `wave` [B,T] (f32) standardised over its first lengths[b]
// samples (zero mean, unit variance: fairseq's normalize=True, the Hugging
// Face feature extractor's do_normalize); samples past the length stay 0.
nn::Tensor normalize_waveform(const nn::Tensor& wave, const std::vector<int32_t>& lengths);

class W2VEncoder : public nn::ModuleImpl<W2VEncoder, Encoder> {
 public:
  // A shape of kind w2v.
  W2VEncoder(const EncoderShape& shape, Rng& rng);
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
  const EncoderShape& shape() const { return shape_; }
  // The relative position embedding of frames x [B,F,D]: the grouped
  // convolution over time (same padding; an even kernel drops the extra
  // last frame, as Hugging Face does), then GELU.
  nn::Var position_embedding(const nn::Var& x) const;
  // Valid frames per clip for lengths in samples.
  std::vector<int32_t> valid_frames(const std::vector<int32_t>& lengths) const;
  void visit(nn::ModuleVisitor& v) override;
  nn::Var mask_emb;  // [D], replaces masked frames

 private:
  EncoderShape shape_;
  std::vector<nn::Var> convs_;       // [C, C_in, k]
  std::vector<nn::Var> conv_biases_; // [C] each, when the shape has conv_bias
  nn::Var gn_weight_, gn_bias_;      // feature_norm group: the first layer's group norm
  std::vector<nn::LayerNorm> conv_norms_;  // feature_norm layer: one after every conv
  nn::LayerNorm feature_norm;
  nn::Linear project_;
  nn::Var pos_weight_, pos_bias_;  // [D, D/groups, k], [D]
  nn::Var pos_g_;                  // pos_weight_norm: [1, 1, k]; pos_weight_ is then v
  // The convolution's weight: pos_weight_, or g * v / |v| per tap.
  nn::Var pos_conv_weight() const;
  TransformerStack stack_;
};

}  // namespace sslkit::models
