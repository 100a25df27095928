// ELECTRA's replaced-token detection (Clark et al. 2020). A small masked LM,
// the generator, fills the batch's masked positions with tokens sampled from
// its softmax; the text encoder we keep, the discriminator, tells for every
// real token whether it is the original or a replacement. The discriminator
// learns from every token where MLM learns from the 15 % masked, which is
// why it learns more per step.
//
// As google-research/electra ties them when the generator is narrower than
// the embeddings: the generator reads the discriminator's token and position
// tables through a projection to its own width, and its MLM head projects
// back to the embedding width to score against the same token table. The
// generator has the discriminator's depth, a fraction of its width
// (ELECTRA-Small: 1/4), heads of 64 and an MLP 4 times its width.
// Loss = generator MLM + disc_weight x discriminator (sigmoid cross-entropy
// over the real tokens), disc_weight 50 as in the reference. A sampled token
// equal to the original is labelled original. Sampling carries no gradient.
#include <algorithm>
#include <cmath>
#include <limits>

#include "methods/electra.hpp"
#include "methods/factories.hpp"
#include "methods/text_features.hpp"
#include "models/text_encoder.hpp"
#include "nn/ops.hpp"

namespace sslkit::methods {

using nn::Var;

models::EncoderShape electra_generator_shape(const models::EncoderShape& disc, double fraction) {
  models::EncoderShape g = disc;
  g.width = std::max<int64_t>(1, std::llround(static_cast<double>(disc.width) * fraction));
  // The reference's width // 64 heads, at least one; the nearest fewer that
  // divide the width, so every width makes a network.
  g.heads = std::max<int64_t>(1, g.width / 64);
  while (g.width % g.heads) --g.heads;
  g.mlp = 4 * g.width;
  g.token_types = 0;  // the tables are the discriminator's
  g.pooler = false;
  return g;
}

std::vector<int32_t> electra_disc_targets(const TokenBatch& t, const std::vector<int32_t>& at,
                                          const std::vector<int32_t>& sampled, std::vector<int32_t>* ids) {
  std::vector<int32_t> targets(t.ids.size(), -100);
  ids->assign(t.ids.size(), 0);
  for (int64_t r = 0; r < t.rows; ++r)
    for (int64_t k = 0; k < t.length; ++k) {
      const size_t i = static_cast<size_t>(r * t.length + k);
      // The original token: the label where the batch selected one (the
      // input there is [MASK], a random or the kept token).
      (*ids)[i] = t.labels[i] != -100 ? t.labels[i] : t.ids[i];
      if (k < t.lengths[r]) targets[i] = 0;
    }
  for (size_t j = 0; j < sampled.size(); ++j) {
    const size_t i = static_cast<size_t>(at[j]);
    if (targets[i] == -100) continue;  // a selected padding position (none from the batches)
    targets[i] = sampled[j] != (*ids)[i] ? 1 : 0;
    (*ids)[i] = sampled[j];
  }
  return targets;
}

std::vector<int32_t> electra_sample(const nn::Tensor& logits, int64_t n, Rng& rng) {
  const int64_t V = logits.dim(1);
  std::vector<int32_t> out(static_cast<size_t>(n));
  std::vector<double> p(static_cast<size_t>(V));
  for (int64_t i = 0; i < n; ++i) {
    const float* z = logits.f32() + i * V;
    const float mx = *std::max_element(z, z + V);
    double total = 0;
    for (int64_t v = 0; v < V; ++v) total += p[v] = std::exp(static_cast<double>(z[v] - mx));
    double u = rng.uniform() * total;
    int64_t v = 0;
    while (v < V - 1 && (u -= p[v]) >= 0) ++v;
    out[i] = static_cast<int32_t>(v);
  }
  return out;
}

namespace {

constexpr uint64_t kSampleStream = 0xE1EC;

// The generator: projection of the shared embeddings to its width (none
// when the widths agree), transformer blocks, and the MLM head (dense to the
// embedding width, GELU, layer norm; the decoder is the shared token table
// with this bias).
class Generator : public nn::ModuleImpl<Generator> {
 public:
  Generator() = default;
  Generator(const models::EncoderShape& shape, int64_t embed_width, int64_t vocab, Rng& rng)
      : shape_(shape),
        stack_(shape, rng),
        dense_(shape.width, embed_width, rng),
        norm_(embed_width, static_cast<float>(shape.eps)),
        bias_(nn::Tensor::zeros({vocab}), true) {
    if (shape.width != embed_width) project_ = nn::Linear(embed_width, shape.width, rng);
  }
  // Hidden states [rows * length, width] of embeddings e [rows * length, E].
  Var forward(const Var& e, const std::vector<int32_t>& lengths, int64_t length, nn::DType dtype) const {
    const int64_t rows = static_cast<int64_t>(lengths.size());
    Var x = nn::cast(e, dtype);
    if (projects()) x = project_.forward(x);
    x = stack_.forward(nn::reshape(x, {rows, length, shape_.width}), models::TextEncoder::padding_mask(lengths, length));
    return nn::reshape(x, {rows * length, shape_.width});
  }
  // Vocabulary scores [n, V] f32 of hidden states [n, width].
  Var logits(const Var& h, const Var& table) const {
    Var x = norm_.forward(nn::gelu(dense_.forward(h)));
    return nn::cast(nn::add(nn::matmul(x, table, /*transpose_b=*/true), bias_), nn::DType::f32);
  }
  void visit(nn::ModuleVisitor& v) override {
    if (projects()) v.module("embed_proj", project_);
    stack_.visit(v);
    v.module("head_dense", dense_);
    v.module("head_norm", norm_);
    v.param("decoder_bias", bias_);
  }

 private:
  bool projects() const { return project_.weight.defined(); }
  models::EncoderShape shape_;
  models::TransformerStack stack_;
  nn::Linear project_, dense_;
  nn::LayerNorm norm_;
  Var bias_;
};

class Electra : public nn::ModuleImpl<Electra, Method> {
 public:
  Electra(const MethodParams& p, Rng& rng)
      : text_(encoder_shape(p), p.vocab_size, p.max_len, rng),
        generator_(electra_generator_shape(text_.shape(), p.own.value("generator_fraction", 0.25)), text_.width(),
                   p.vocab_size, rng),
        disc_dense_(text_.width(), text_.width(), rng),
        disc_out_(text_.width(), 1, rng),
        disc_weight_(p.own.value("disc_weight", 50.0)),
        seed_(rng.next()) {}

  Var loss(const Batch& b) override {
    const TokenBatch& t = b.tokens;
    if (t.rows == 0) throw Error("electra", "needs token sequences (a text file), not images");
    // A pure function of (seed, step), as wav2vec's draws: a resumed run
    // samples what the uninterrupted one would have.
    Rng rng(seed_, kSampleStream, static_cast<uint64_t>(step_));
    const Selected s = select(t);
    const Var gh = generator_.forward(text_.embed(t.ids, t.rows, t.length), t.lengths, t.length, t.dtype);
    Var gen_loss;
    std::vector<int32_t> sampled;
    if (s.count == 0) {
      // Nothing masked: no MLM term, but a zero that reaches the generator,
      // and the discriminator sees only originals.
      gen_loss = nn::scale(nn::mean(nn::cast(gh, nn::DType::f32)), 0.0f);
    } else {
      const Var logits = generator_.logits(nn::embedding(gh, s.at), text_.tokens.table);
      gen_loss = nn::cross_entropy(logits, s.targets);
      sampled = electra_sample(logits.value(), s.count, rng);
    }
    std::vector<int32_t> ids;
    const std::vector<int32_t> targets = electra_disc_targets(t, s.at, sampled, &ids);
    const Var dl = disc_logits(text_.forward(ids, t.lengths, t.length, t.dtype));  // [N, 1] f32
    // Sigmoid cross-entropy as a two-way softmax over (0, z): softmax gives
    // class 1 the probability sigmoid(z), so its cross-entropy is the
    // sigmoid's, averaged over the real tokens (targets -100 elsewhere).
    const Var two = nn::concat({Var(nn::Tensor::zeros({dl.shape()[0], 1})), dl}, 1);
    const Var disc_loss = nn::cross_entropy(two, targets);
    record(gen_loss, disc_loss, dl.value(), targets, s, sampled);
    return nn::add(gen_loss, nn::scale(disc_loss, static_cast<float>(disc_weight_)));
  }
  void after_step(double) override { ++step_; }

  // The generator's scores: ELECTRA's masked LM is the generator.
  Var masked_logits(const TokenBatch& t) override {
    const Selected s = select(t);
    if (s.count == 0) return Var(nn::Tensor::zeros({0, text_.tokens.table.shape()[0]}));
    const Var gh = generator_.forward(text_.embed(t.ids, t.rows, t.length), t.lengths, t.length, t.dtype);
    return nn::slice_rows(generator_.logits(nn::embedding(gh, s.at), text_.tokens.table), 0, s.count);
  }
  // Sentence features are the discriminator's.
  Var sentence(const TokenBatch& t, bool cls) override { return text_sentence(text_, t, cls); }
  Var pooled_sentence(const TokenBatch& t) override { return text_pooled_sentence(text_, t); }
  // The discriminator's logit [N, 1] f32 for each token of hidden states h.
  Var disc_logits(const Var& h) const {
    return nn::cast(disc_out_.forward(nn::gelu(disc_dense_.forward(h))), nn::DType::f32);
  }
  std::vector<std::pair<std::string, double>> metrics() const override { return metrics_; }

  void visit(nn::ModuleVisitor& v) override {
    v.module("text_encoder", text_);
    v.module("generator", generator_);
    v.module("disc_head.dense", disc_dense_);
    v.module("disc_head.out", disc_out_);
    v.index("generator.step", step_, std::numeric_limits<int64_t>::max());
  }

 private:
  using Selected = MaskedPositions;
  static Selected select(const TokenBatch& t) { return MaskedPositions::of(t); }
  void record(const Var& gen, const Var& disc, const nn::Tensor& logits, const std::vector<int32_t>& targets,
              const Selected& s, const std::vector<int32_t>& sampled) {
    int64_t real = 0, right = 0, replaced = 0, same = 0;
    for (size_t i = 0; i < targets.size(); ++i) {
      if (targets[i] == -100) continue;
      ++real;
      replaced += targets[i];
      right += (logits.f32()[i] > 0) == (targets[i] == 1);
    }
    for (int64_t j = 0; j < s.count; ++j) same += sampled[j] == s.targets[j];
    metrics_ = {{"gen_loss", gen.value().item()},
                {"disc_loss", disc.value().item()},
                {"disc_accuracy", real ? static_cast<double>(right) / real : 0.0},
                {"replaced", real ? static_cast<double>(replaced) / real : 0.0},
                {"sampled_accuracy", s.count ? static_cast<double>(same) / s.count : 0.0}};
  }

 public:
  models::TextEncoder& text() { return text_; }

 private:
  models::TextEncoder text_;
  Generator generator_;
  nn::Linear disc_dense_, disc_out_;
  double disc_weight_ = 50;
  uint64_t seed_ = 0;  // drawn from the run's seed when the model is built
  int64_t step_ = 0;   // steps trained: the next loss() samples with this one
  std::vector<std::pair<std::string, double>> metrics_;
};

}  // namespace

std::unique_ptr<Method> make_electra(const MethodParams& p, Rng& rng) {
  if (p.vocab_size < 6) throw Error("electra", "needs the tokenizer's vocabulary size");
  if (p.max_len < 2) throw Error("electra", "needs the sequence length");
  const models::EncoderShape s = encoder_shape(p);
  if (s.kind != models::EncoderKind::text)
    throw UsageError("--method electra needs a text encoder (" + models::preset_names_of(models::EncoderKind::text) +
                     "), not " + p.arch);
  const std::string problem = models::shape_problem(electra_generator_shape(s, p.own.value("generator_fraction", 0.25)));
  if (!problem.empty()) throw UsageError("--generator-fraction makes a generator that is no network: " + problem);
  return std::make_unique<Electra>(p, rng);
}

}  // namespace sslkit::methods
