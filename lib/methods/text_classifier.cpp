// A text encoder and a linear head on the mean of its real tokens, trained
// with cross-entropy on the file's labels: full fine-tuning of a pretrained
// text model (its "text_encoder." weights), or the same model from random
// weights as the baseline. Mean pooling by default: it is what ssl-embed
// gives by default and what the linear probe scores; fine-tuning reads the
// features --pool asks for (train::TextModality), BERT's pooler included
// when the encoder has one.
#include "methods/factories.hpp"
#include "models/text_encoder.hpp"
#include "nn/ops.hpp"

namespace sslkit::methods {

using nn::Var;

namespace {

class TextClassifier : public nn::ModuleImpl<TextClassifier, Method> {
 public:
  TextClassifier(const MethodParams& p, Rng& rng)
      : text_(encoder_shape(p), p.vocab_size, p.max_len, rng), head_(text_.width(), p.num_classes, rng) {}
  Var loss(const Batch& b) override {
    const TokenBatch& t = b.tokens;
    if (t.rows == 0) throw Error("text-supervised", "needs token sequences (a text file), not images");
    return nn::cross_entropy(logits(sentence(t, false)), b.pretext);
  }
  Var logits(const Var& features) override { return nn::cast(head_.forward(features), nn::DType::f32); }
  Var sentence(const TokenBatch& t, bool cls) override {
    return models::TextEncoder::pool(text_.forward(t.ids, t.lengths, t.length, t.dtype), t.lengths, t.length, cls);
  }
  Var pooled_sentence(const TokenBatch& t) override {
    if (!text_.has_pooler()) throw UsageError("--pool pooler: the model's text encoder has no pooler (an imported BERT has one)");
    return nn::cast(text_.pooled(text_.forward(t.ids, t.lengths, t.length, t.dtype), t.lengths, t.length),
                    nn::DType::f32);
  }
  void visit(nn::ModuleVisitor& v) override {
    v.module("text_encoder", text_);
    v.module("head", head_);
  }

 private:
  models::TextEncoder text_;
  nn::Linear head_;
};

}  // namespace

std::unique_ptr<Method> make_text_classifier(const MethodParams& p, Rng& rng) {
  if (p.num_classes < 2) throw UsageError("a text classifier needs at least two classes");
  if (p.vocab_size < 6) throw Error("text-supervised", "needs the tokenizer's vocabulary size");
  if (p.max_len < 2) throw Error("text-supervised", "needs the sequence length");
  return std::make_unique<TextClassifier>(p, rng);
}

}  // namespace sslkit::methods
