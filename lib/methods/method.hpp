// Pretext objectives. A method owns the encoder and its heads (and EMA
// targets where it has them); given a batch of views it returns the loss.
// It never sees a file: the trainer hands it batches.
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "models/encoders.hpp"
#include "nn/layers.hpp"

namespace sslkit::methods {

// Token sequences of a batch, [B, L] row-major: the ids the model sees
// (MLM-corrupted where selected), the labels (the original id where
// selected, -100 elsewhere), the number of real tokens per row (the rest is
// padding, which attention ignores), and the dtype the encoder computes in
// (the run's precision: images carry theirs in the views).
struct TokenBatch {
  int64_t rows = 0, length = 0;
  std::vector<int32_t> ids, labels, lengths;
  nn::DType dtype = nn::DType::f32;
};

// Audio clips of a batch: samples [B, T] f32, real samples per row, and the
// span mask on the frame grid [B, F] (1 = masked).
struct AudioBatch {
  int64_t rows = 0, samples = 0, frames = 0;
  nn::Tensor audio;
  std::vector<int32_t> lengths;
  std::vector<uint8_t> mask;
  nn::DType dtype = nn::DType::f32;  // what the encoder computes in
};

// One batch of any modality; a method reads the part its modality fills.
struct Batch {
  std::vector<nn::Var> views;   // images: each [B,H,W,C] in the compute dtype
  int64_t global_views = 0;     // multi-crop: the first this many views are full-size (the rest crops)
  std::vector<int32_t> pretext; // targets of each row: rotation index, or the label
  std::vector<uint8_t> patch_mask;  // images: [B * patches], 1 = hidden from the encoder (MAE)
  TokenBatch tokens;            // text
  AudioBatch audio;             // audio
};

struct MethodParams {
  std::string arch = "convnet-s";  // the --arch: a preset, or PRESET:key=value,...
  // The encoder's whole shape; unset: the shape `arch` names (encoder_shape()).
  std::optional<models::EncoderShape> encoder;
  int64_t in_channels = 1;
  float temperature = 0.2f;    // simclr, moco
  int64_t queue = 4096;        // moco
  double momentum = 0.99;      // moco's key encoder; byol's tau at the start
  int64_t proj_dim = 128;      // output of the projector
  int64_t hidden_dim = 512;    // hidden width of projector/predictor
  int64_t num_classes = 0;     // supervised: the dataset's classes
  int64_t vocab_size = 0;      // text: the tokenizer's vocabulary
  int64_t max_len = 0;         // text: tokens per sequence
  bool norm_pix = true;        // mae: targets normalised per patch (MAE's norm_pix_loss)
  int64_t patch = 4;           // vit: patch side in pixels
  // vit: features from the class token, or the mean of the patch tokens;
  // simcse: the sentence vector it trains, [CLS] (through an MLP in
  // training) or the mean of the real tokens.
  std::string pool = "cls";
  // The method's own hyperparameters (its registry row's options) by their
  // /config keys, for methods whose settings have no field above.
  nlohmann::ordered_json own = nlohmann::ordered_json::object();
};

class Method : public nn::Module {
 public:
  Method() = default;
  // A deep copy owns its own encoder.
  Method(const Method& o)
      : nn::Module(o), last_embedding(o.last_embedding),
        encoder_(nn::clone_as(o.encoder_.get())) {}
  virtual nn::Var loss(const Batch& b) = 0;
  // Called after each optimizer step (EMA targets, queues) with the
  // fraction of the schedule done, by steps or by elapsed time alike.
  virtual void after_step(double fraction) { (void)fraction; }
  // Submodules that follow the others by EMA and are never trained by the
  // optimizer (BYOL's target, MoCo's key encoder). Ownership is declared,
  // not inferred from names.
  virtual std::vector<nn::Module*> ema_targets() { return {}; }
  // The projector's output for backbone features (the features themselves
  // for methods without one).
  virtual nn::Var project(const nn::Var& features) { return features; }
  // Class scores for backbone features (methods with a classification head).
  virtual nn::Var logits(const nn::Var& features) {
    (void)features;
    throw Error("model", "has no classification head");
  }
  // Sentence embeddings [rows, width] of token sequences (text methods): the
  // mean over each row's real tokens, or its first ([CLS]) token.
  virtual nn::Var sentence(const TokenBatch& t, bool cls) {
    (void)t;
    (void)cls;
    throw Error("model", "is not a text model");
  }
  // The pooling of sentence() its features are read with unless told
  // ("mean" or "cls"): the one a method trained (simcse), else the mean.
  virtual std::string sentence_pool() const { return "mean"; }
  // BERT's pooler output [rows, width] (f32): dense + tanh on the first
  // token, for a text encoder that has one (an imported BERT's).
  virtual nn::Var pooled_sentence(const TokenBatch& t) {
    (void)t;
    throw Error("model", "has no pooler");
  }
  // Vocabulary scores [n, vocab] (f32) at the n positions a text batch
  // selects (labels != -100), in row-major order (masked LM methods).
  virtual nn::Var masked_logits(const TokenBatch& t) {
    (void)t;
    throw Error("model", "does not predict masked tokens");
  }
  // Masked image models: the images [N,H,W,C] (normalised as the encoder
  // sees them) as the model fills them in from the patches `patch_mask`
  // keeps (1 = hidden, [N * patches], row-major over the grid): f32 in the
  // same space, predicted pixels un-normalised per patch when the targets
  // were (norm-pix) by the statistics of the true patch, as MAE's demo does.
  virtual nn::Tensor reconstruct(const nn::Tensor& images, const std::vector<uint8_t>& patch_mask) {
    (void)images;
    (void)patch_mask;
    throw Error("model", "does not reconstruct images");
  }
  // Figures of the last batch worth logging beside the loss (wav2vec 2.0:
  // code perplexity, contrastive accuracy, Gumbel temperature), in order.
  virtual std::vector<std::pair<std::string, double>> metrics() const { return {}; }
  // The patch side of a masked image model (0 for the others).
  virtual int64_t patch_size() const { return 0; }
  bool has_image_encoder() const { return encoder_ != nullptr; }
  models::Encoder& encoder() {
    SSLKIT_CHECK(encoder_, "an image encoder asked of a model without one");
    return *encoder_;
  }
  // The embeddings of the last batch's first view (for the collapse monitor).
  nn::Tensor last_embedding;

 protected:
  std::unique_ptr<models::Encoder> encoder_;
};

// The parameters the optimizer owns: every parameter but those of the EMA
// targets, matched by identity.
std::vector<nn::Var*> trainable_parameters(Method& m);

// The encoder's shape: `encoder` when set, else parse_arch(arch); a ViT's
// patch side is `patch` either way.
models::EncoderShape encoder_shape(const MethodParams& p);

// The method of that name from the registry (methods/registry.hpp).
std::unique_ptr<Method> make_method(const std::string& name, const MethodParams& p, Rng& rng);

}  // namespace sslkit::methods
