// BERT's masked language modelling: the text encoder's hidden states at the
// selected positions go through BERT's prediction head (dense, GELU,
// layernorm) and a decoder tied to the token embeddings with its own bias;
// cross-entropy over the selected positions only (labels != -100).
#include "methods/factories.hpp"
#include "methods/text_features.hpp"
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
  Var sentence(const TokenBatch& t, bool cls) override { return text_sentence(text_, t, cls); }
  Var pooled_sentence(const TokenBatch& t) override { return text_pooled_sentence(text_, t); }
  models::TextEncoder& text() { return text_; }

 private:
  using Selected = MaskedPositions;
  static Selected select(const TokenBatch& t) { return MaskedPositions::of(t); }
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
