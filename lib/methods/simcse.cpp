// Unsupervised SimCSE (Gao, Yao and Chen 2021; princeton-nlp/SimCSE
// simcse/models.py): every sentence of the batch goes through the text
// encoder twice with dropout on, and the two dropout masks are its two
// views. InfoNCE over the batch: cosine similarity / temperature between
// the first views and all the second views, the same sentence's the
// positive and the other sentences' the negatives. The sentence vector is
// the [CLS] hidden state through an MLP (dense + tanh) in training and
// without it afterwards (the reference's "cls" with mlp_only_train, read
// as "cls_before_pooler"), or the mean over the real tokens (its "avg",
// no MLP): --pool.
#include <limits>

#include "core/dist.hpp"
#include "methods/factories.hpp"
#include "methods/text_features.hpp"
#include "models/text_encoder.hpp"
#include "nn/ops.hpp"

namespace sslkit::methods {

using nn::Var;

namespace {

// The dropout masks of a step are a pure function of (seed, step): a
// resumed run draws what the uninterrupted one drew.
constexpr uint64_t kDropoutStream = 0x51C5E;

class SimCSE : public nn::ModuleImpl<SimCSE, Method> {
 public:
  SimCSE(const MethodParams& p, Rng& rng)
      : text_(encoder_shape(p), p.vocab_size, p.max_len, rng),
        mlp_(text_.width(), text_.width(), rng),
        temperature_(p.temperature),
        cls_(p.pool == "cls"),
        seed_(rng.next()) {
    if (p.pool != "cls" && p.pool != "mean") throw UsageError("--pool for simcse must be cls or mean, not '" + p.pool + "'");
  }

  Var loss(const Batch& b) override {
    const TokenBatch& t = b.tokens;
    if (t.rows == 0) throw Error("simcse", "needs token sequences (a text file), not images");
    // Both views in one forward of the batch twice over (as the reference
    // does): the masks differ because every element draws its own.
    std::vector<int32_t> ids = t.ids, lengths = t.lengths;
    ids.insert(ids.end(), t.ids.begin(), t.ids.end());
    lengths.insert(lengths.end(), t.lengths.begin(), t.lengths.end());
    Rng noise(seed_, kDropoutStream, static_cast<uint64_t>(step_));
    const Var h = text_.forward(ids, lengths, t.length, t.dtype, &noise);
    Var z = models::TextEncoder::pool(h, lengths, t.length, cls_);
    if (cls_) z = nn::tanh(mlp_.forward(z));
    z = nn::cast(z, nn::DType::f32);
    const Var z1 = nn::slice_rows(z, 0, t.rows), z2 = nn::slice_rows(z, t.rows, t.rows);
    last_embedding = z1.value();
    if (dist::size() == 1) return nn::in_batch_info_nce(z1, z2, temperature_);
    // Over K ranks the negatives are the whole global batch's (the
    // reference's all_gather); the gradient as in SimCLR (docs/scale-out.md).
    return nn::in_batch_info_nce(nn::gather_rows(z1), nn::gather_rows(z2), temperature_);
  }
  void after_step(double) override { ++step_; }

  Var sentence(const TokenBatch& t, bool cls) override { return text_sentence(text_, t, cls); }
  Var pooled_sentence(const TokenBatch& t) override { return text_pooled_sentence(text_, t); }
  std::string sentence_pool() const override { return cls_ ? "cls" : "mean"; }

  void visit(nn::ModuleVisitor& v) override {
    v.module("text_encoder", text_);
    v.module("mlp", mlp_);
    v.index("dropout_step", step_, std::numeric_limits<int64_t>::max());
  }

 private:
  models::TextEncoder text_;
  nn::Linear mlp_;  // over [CLS] in training only (cls pooling)
  float temperature_;
  bool cls_;
  uint64_t seed_;
  int64_t step_ = 0;
};

}  // namespace

std::unique_ptr<Method> make_simcse(const MethodParams& p, Rng& rng) {
  if (p.vocab_size < 6) throw Error("simcse", "needs the tokenizer's vocabulary size");
  if (p.max_len < 2) throw Error("simcse", "needs the sequence length");
  if (encoder_shape(p).kind != models::EncoderKind::text)
    throw UsageError("--method simcse needs a text encoder (bert-tiny, bert-mini), not " + p.arch);
  return std::make_unique<SimCSE>(p, rng);
}

}  // namespace sslkit::methods
