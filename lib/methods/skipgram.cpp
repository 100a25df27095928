// Skip-gram with negative sampling on subword tokens (word2vec, fastText's
// -skipgram): each kept token's input vector predicts the tokens around it
// against sampled negatives. The input vectors are the token table of a
// text encoder without blocks or positions (shape depth=0,
// position=none), so a sentence's features are the mean of its tokens'
// vectors, read by ssl-embed and ssl-finetune as any text model's; the
// output vectors are the method's own. (fastText's sentence vector is the
// mean of L2-normalised word vectors; normalising each token, as a layer
// norm would, probed 3 points worse here: docs/methods.md.)
#include <cmath>

#include "core/error.hpp"
#include "methods/factories.hpp"
#include "methods/skipgram_pairs.hpp"
#include "models/text_encoder.hpp"
#include "nn/loss_skipgram.hpp"
#include "nn/ops.hpp"

namespace sslkit::methods {

using nn::Var;

namespace {

// Counts past this are halved, all together: f32 counts stay exact (below
// 2^24) and the frequencies, their ratios, unchanged.
constexpr float kHalveCountsAt = 1 << 23;

class SkipGram : public nn::ModuleImpl<SkipGram, Method> {
 public:
  SkipGram(const MethodParams& p, Rng& rng)
      : text_(encoder_shape(p), p.vocab_size, p.max_len, rng),
        output_(nn::Tensor::zeros({p.vocab_size, text_.width()}), true),
        counts_(nn::Tensor::zeros({p.vocab_size})),
        seed_(rng.next()) {
    sampling_.window = p.own.value("window", sampling_.window);
    sampling_.negatives = p.own.value("negatives", sampling_.negatives);
    sampling_.subsample = p.own.value("subsample", sampling_.subsample);
    // fastText's initialisation: input vectors uniform in +-1/D, output
    // vectors 0 (every first score is 0, the loss (1 + K) log 2).
    nn::Tensor& in = text_.tokens.table.value();
    const float bound = 1.0f / static_cast<float>(text_.width());
    for (int64_t i = 0; i < in.numel(); ++i) in.f32()[i] = static_cast<float>(rng.uniform(-bound, bound));
  }

  Var loss(const Batch& b) override {
    const TokenBatch& t = b.tokens;
    if (t.rows == 0) throw Error("skipgram", "needs token sequences (a text file), not images");
    // Its batches hold the tokens as they are (plain_tokens); a masked
    // batch (a caller's) gives back its originals from the labels.
    std::vector<int32_t> ids = t.ids;
    for (size_t i = 0; i < ids.size() && i < t.labels.size(); ++i)
      if (t.labels[i] != -100) ids[i] = t.labels[i];
    // Frequencies over what training has seen so far (held-out scoring,
    // without gradients, does not count).
    std::span<float> counts(counts_.f32(), static_cast<size_t>(counts_.numel()));
    if (nn::grad_enabled()) count(ids, t, counts);
    // The draws follow from the run's seed and the batch's tokens: a
    // resumed run draws what the uninterrupted one did.
    uint64_t h = seed_;
    for (int32_t id : ids) h = (h ^ static_cast<uint32_t>(id)) * 0x100000001b3ULL;
    Rng rng(seed_, h);
    const SkipgramPairs pairs = draw_pairs(ids, t.lengths, t.length, counts, sampling_, rng);
    pairs_ = pairs.size();
    kept_ = pairs.tokens > 0 ? static_cast<double>(pairs.kept_tokens) / static_cast<double>(pairs.tokens) : 0;
    return nn::skipgram_loss(text_.tokens.table, output_, pairs.centers, pairs.targets, sampling_.negatives);
  }

  std::vector<std::pair<std::string, double>> metrics() const override {
    return {{"pairs", static_cast<double>(pairs_)}, {"kept", kept_}};
  }

  Var sentence(const TokenBatch& t, bool cls) override {
    return nn::cast(models::TextEncoder::pool(text_.forward(t.ids, t.lengths, t.length, t.dtype), t.lengths, t.length, cls),
                    nn::DType::f32);
  }

  void visit(nn::ModuleVisitor& v) override {
    v.module("text_encoder", text_);
    v.param("output_vectors", output_);
    v.buffer("token_counts", counts_);
  }

 private:
  static void count(const std::vector<int32_t>& ids, const TokenBatch& t, std::span<float> counts) {
    for (int64_t r = 0; r < t.rows; ++r)
      for (int64_t k = 0; k < std::min<int64_t>(t.lengths[r], t.length); ++k) {
        const int32_t id = ids[r * t.length + k];
        if (id >= 0 && id < static_cast<int32_t>(counts.size())) counts[id] += 1;
      }
    float top = 0;
    for (float c : counts) top = std::max(top, c);
    if (top >= kHalveCountsAt)
      for (float& c : counts) c *= 0.5f;
  }

  models::TextEncoder text_;
  Var output_;
  nn::Tensor counts_;
  uint64_t seed_;
  SkipgramSampling sampling_;
  int64_t pairs_ = 0;
  double kept_ = 0;
};

}  // namespace

std::unique_ptr<Method> make_skipgram(const MethodParams& p, Rng& rng) {
  if (p.vocab_size < 6) throw Error("skipgram", "needs the tokenizer's vocabulary size");
  if (p.max_len < 2) throw Error("skipgram", "needs the sequence length");
  const models::EncoderShape s = encoder_shape(p);
  // Skip-gram trains the token vectors alone: blocks or positions would
  // stay as drawn and scramble the features.
  if (s.kind != models::EncoderKind::text || s.depth != 0 || s.position != models::PositionKind::none)
    throw UsageError("--method skipgram trains token vectors only: --arch must be a text encoder with depth=0 and "
                     "position=none (e.g. bert-mini:depth=0,position=none), not '" + p.arch + "'");
  return std::make_unique<SkipGram>(p, rng);
}

}  // namespace sslkit::methods
