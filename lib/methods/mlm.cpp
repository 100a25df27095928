// BERT's masked language modelling: the text encoder's hidden states at the
// selected positions go through BERT's prediction head (dense, GELU,
// layernorm) and a decoder tied to the token embeddings with its own bias;
// cross-entropy over the selected positions only (labels != -100).
#include "methods/factories.hpp"
#include "models/text_encoder.hpp"
#include "nn/ops.hpp"

namespace sslkit::methods {

using nn::Var;

namespace {

class MaskedLM : public nn::ModuleImpl<MaskedLM, Method> {
 public:
  MaskedLM(const MethodParams& p, Rng& rng)
      : text_(encoder_shape(p), p.vocab_size, p.max_len, rng),
        dense_(text_.width(), text_.width(), rng),
        norm_(text_.width(), static_cast<float>(text_.shape().eps)),
        bias_(nn::Tensor::zeros({p.vocab_size}), true) {}
  Var loss(const Batch& b) override {
    const TokenBatch& t = b.tokens;
    if (t.rows == 0) throw Error("mlm", "needs token sequences (a text file), not images");
    Var h = text_.forward(t.ids, t.lengths, t.length, t.dtype);
    const Selected s = select(t);
    // No position selected in the whole batch: a zero loss that still
    // reaches every parameter, so the step is a no-op rather than an error.
    if (s.count == 0) return nn::scale(nn::mean(h), 0.0f);
    return nn::cross_entropy(head_logits(h, s), s.targets);
  }
  Var masked_logits(const TokenBatch& t) override {
    const Selected s = select(t);
    if (s.count == 0) return Var(nn::Tensor::zeros({0, bias_.shape()[0]}));
    return nn::slice_rows(head_logits(text_.forward(t.ids, t.lengths, t.length, t.dtype), s), 0, s.count);
  }
  // Vocabulary scores [n, V] for hidden states [n, width].
  Var logits(const Var& hidden) override {
    Var x = norm_.forward(nn::gelu(dense_.forward(hidden)));
    return nn::add(nn::matmul(x, text_.tokens.table, /*transpose_b=*/true), bias_);
  }
  Var sentence(const TokenBatch& t, bool cls) override {
    return nn::cast(models::TextEncoder::pool(text_.forward(t.ids, t.lengths, t.length, t.dtype), t.lengths, t.length, cls),
                    nn::DType::f32);
  }
  Var pooled_sentence(const TokenBatch& t) override {
    if (!text_.has_pooler()) throw UsageError("--pool pooler: the model's text encoder has no pooler (an imported BERT has one)");
    return nn::cast(text_.pooled(text_.forward(t.ids, t.lengths, t.length, t.dtype), t.lengths, t.length),
                    nn::DType::f32);
  }
  models::TextEncoder& text() { return text_; }

 private:
  // The selected positions, padded to a multiple of kRowBucket with
  // position 0 and target -100 (ignored by the loss). The head's shapes
  // then take a few values instead of one per selected count: oneDNN
  // builds and caches primitives per shape, and an unpadded run of 2300
  // steps grew to 4.4 GB of cached kernels.
  static constexpr size_t kRowBucket = 64;
  struct Selected {
    std::vector<int32_t> at, targets;
    int64_t count = 0;
  };
  static Selected select(const TokenBatch& t) {
    Selected s;
    for (size_t i = 0; i < t.labels.size(); ++i)
      if (t.labels[i] != -100) {
        s.at.push_back(static_cast<int32_t>(i));
        s.targets.push_back(t.labels[i]);
      }
    s.count = static_cast<int64_t>(s.at.size());
    const size_t padded = (s.at.size() + kRowBucket - 1) / kRowBucket * kRowBucket;
    s.at.resize(padded, 0);
    s.targets.resize(padded, -100);
    return s;
  }
  // The head's f32 scores at the selected rows of hidden states h.
  Var head_logits(const Var& h, const Selected& s) { return nn::cast(logits(nn::embedding(h, s.at)), nn::DType::f32); }

 public:
  void visit(nn::ModuleVisitor& v) override {
    v.module("text_encoder", text_);
    v.module("head_dense", dense_);
    v.module("head_norm", norm_);
    v.param("decoder_bias", bias_);
  }

 private:
  models::TextEncoder text_;
  nn::Linear dense_;
  nn::LayerNorm norm_;
  Var bias_;
};

}  // namespace

std::unique_ptr<Method> make_mlm(const MethodParams& p, Rng& rng) {
  if (p.vocab_size < 6) throw Error("mlm", "needs the tokenizer's vocabulary size");
  if (p.max_len < 2) throw Error("mlm", "needs the sequence length");
  return std::make_unique<MaskedLM>(p, rng);
}

}  // namespace sslkit::methods
