// wav2vec 2.0 (Baevski et al. 2020; fairseq models/wav2vec/wav2vec2.py):
// the feature encoder's latent frames are quantized into targets by a
// product quantizer with Gumbel-softmax codebooks; spans of frames (the
// batch's mask, drawn by lib/mask's span scheme) are replaced by a learned
// embedding before the transformer; at each masked frame the context must
// pick its own quantized target among K distractors taken from other
// masked frames of the same clip (InfoNCE over cosine similarity, T = 0.1).
// Loss = contrastive + 0.1 x codebook diversity + 10 x feature penalty
// (fairseq's loss_weights [0.1, 10]); the feature encoder's gradient is
// scaled by 0.1 (feature_grad_mult).
//
// Departures, for short runs on 2 cores (docs/methods.md): the Gumbel
// temperature falls from 2 to 0.5 over the first 70 % of the run (fairseq:
// x0.999995 per update, reaching 0.5 after 277k of 400k updates); each
// distractor is drawn at most once (fairseq draws 100 with replacement, so
// on a 1 s clip with ~25 masked frames most repeat), so K is at most the
// clip's masked frames less one.
//
// Resume is exact: the step's randomness (Gumbel noise, distractors) is
// drawn from (the run's seed, the step) and nothing else, and the step and
// the temperature the next step uses are state the model file keeps.
#include <algorithm>
#include <cmath>
#include <limits>

#include "methods/factories.hpp"
#include "models/w2v.hpp"
#include "nn/ops.hpp"

namespace sslkit::methods {

using nn::Var;

namespace {

constexpr int64_t kDistractors = 100;
constexpr float kLogitTemp = 0.1f, kDiversityWeight = 0.1f, kPenaltyWeight = 10.0f, kFeatureGradMult = 0.1f;
constexpr double kTauStart = 2.0, kTauEnd = 0.5, kTauReachedAt = 0.7;
constexpr uint64_t kStepStream = 0x3A7;

class Wav2Vec2 : public nn::ModuleImpl<Wav2Vec2, Method> {
 public:
  Wav2Vec2(const MethodParams& p, Rng& rng)
      : seed_(rng.next()), tau_(nn::Tensor::full({1}, static_cast<float>(kTauStart))) {
    const models::EncoderShape shape = encoder_shape(p);
    if (shape.kind != models::EncoderKind::w2v)
      throw UsageError("--method wav2vec needs an audio encoder (" + models::preset_names_of(models::EncoderKind::w2v) + "), not " + p.arch);
    auto w = std::make_unique<models::W2VEncoder>(shape, rng);
    w2v_ = w.get();
    encoder_ = std::move(w);
    const int64_t C = w2v_->shape().conv.back().channels, D = w2v_->out_dim();
    // The quantizer's sizes (registry options, Hugging Face's config names);
    // 0 widths: half the encoder's, what they were before they were data.
    auto size = [&](const char* key, int64_t fallback) {
      const int64_t v = p.own.value(key, fallback);
      return v > 0 ? v : D / 2;
    };
    groups_ = size("num_codevector_groups", 2);
    entries_ = size("num_codevectors_per_group", 64);
    const int64_t E = size("codevector_dim", 0), P = size("proj_codevector_dim", 0);  // fairseq: 256, final_dim 256
    if (E % groups_ != 0)
      throw UsageError("--codevector-dim " + std::to_string(E) + " is not a multiple of --codevector-groups " +
                       std::to_string(groups_) + " (each group holds an equal part of a quantized frame)");
    weight_proj_ = nn::Linear(C, groups_ * entries_, rng);
    // fairseq: weight_proj N(0, 1), bias 0; codevectors U[0, 1).
    nn::Tensor wp({groups_ * entries_, C}, nn::DType::f32), cb({groups_ * entries_, E / groups_}, nn::DType::f32);
    for (int64_t i = 0; i < wp.numel(); ++i) {
      const double u1 = std::max(rng.uniform(), 1e-12), u2 = rng.uniform();
      wp.f32()[i] = static_cast<float>(std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2));
    }
    for (int64_t i = 0; i < cb.numel(); ++i) cb.f32()[i] = static_cast<float>(rng.uniform());
    weight_proj_.weight = Var(wp, true);
    weight_proj_.bias = Var(nn::Tensor::zeros({groups_ * entries_}), true);
    codebook_ = Var(cb, true);
    project_q_ = nn::Linear(E, P, rng);
    final_proj_ = nn::Linear(D, P, rng);
  }
  Wav2Vec2(const Wav2Vec2& o)
      : nn::ModuleImpl<Wav2Vec2, Method>(o), w2v_(dynamic_cast<models::W2VEncoder*>(encoder_.get())),
        weight_proj_(o.weight_proj_), codebook_(o.codebook_), project_q_(o.project_q_), final_proj_(o.final_proj_),
        groups_(o.groups_), entries_(o.entries_), seed_(o.seed_), step_(o.step_), tau_(o.tau_), metrics_(o.metrics_) {}

  Var loss(const Batch& b) override {
    const AudioBatch& a = b.audio;
    if (a.rows < 1 || !a.audio.defined()) throw Error("wav2vec", "needs audio clips");
    // A pure function of (seed, step): a resumed run draws what the
    // uninterrupted one drew, and K ranks could each draw their own part.
    Rng rng(seed_, kStepStream, static_cast<uint64_t>(step_));
    const Var feats = w2v_->conv_features(Var(models::normalize_waveform(a.audio, a.lengths)), a.dtype,
                                          training() ? kFeatureGradMult : 1.0f);  // [B,F,C] f32
    const int64_t B = a.rows, F = feats.shape()[1], C = feats.shape()[2], D = w2v_->out_dim();
    if (F != a.frames || static_cast<int64_t>(a.mask.size()) != B * F)
      throw Error("wav2vec", "the batch's masks are on a grid of " + std::to_string(a.frames) + " frames; the encoder makes " +
                                 std::to_string(F));
    const Var penalty = nn::mean(nn::mul(feats, feats));
    const Var normed = w2v_->norm_features(feats);
    const std::vector<int32_t> valid = w2v_->valid_frames(a.lengths);
    std::vector<uint8_t> padding(static_cast<size_t>(B * F), 0);
    std::vector<int32_t> masked;            // flat frame indices, row-major
    std::vector<int64_t> clip_start{0};     // masked rows of clip b: [clip_start[b], clip_start[b+1])
    for (int64_t r = 0; r < B; ++r) {
      for (int64_t f = 0; f < F; ++f) {
        padding[r * F + f] = f >= valid[r];
        if (a.mask[r * F + f] && f < valid[r]) masked.push_back(static_cast<int32_t>(r * F + f));
      }
      clip_start.push_back(static_cast<int64_t>(masked.size()));
    }
    // No frame to predict (masks that hide none): the losses are undefined.
    if (masked.empty()) throw Error("wav2vec", "no frame of the batch is masked: nothing to predict");
    const Var ctx = w2v_->context(nn::cast(normed, a.dtype), a.mask, padding);  // [B,F,D]
    // Projections and the quantizer run on every frame and the masked rows
    // are gathered after: the oneDNN primitives then see one shape per batch
    // size, where the masked count (different every batch) would create and
    // cache new ones every step (1.3 GB peak RSS over a 20-minute run).
    const Var c_all = nn::cast(final_proj_.forward(nn::reshape(ctx, {B * F, D})), nn::DType::f32);
    const Var logits_all = weight_proj_.forward(nn::reshape(normed, {B * F, C}));  // [B*F, G*V] f32
    const Var onehot_all = nn::gumbel_softmax_st(logits_all, groups_, tau(), training(), rng);
    const Var q_all = project_q_.forward(codevectors(onehot_all));
    const Var c = nn::embedding(c_all, masked), q = nn::embedding(q_all, masked);  // [M, E]
    const Var logits = nn::embedding(logits_all, masked);                          // [M, G*V]
    int64_t K = 0;
    const std::vector<int32_t> distractors = draw_distractors(clip_start, rng, &K);
    double accuracy = 0;
    const Var contrastive = nn::contrastive_distractors(c, q, distractors, K, kLogitTemp, &accuracy);
    const Var diversity = nn::codebook_diversity(logits, groups_);
    nn::Tensor codes;
    {
      nn::NoGrad ng;
      codes = nn::embedding(onehot_all, masked).value();
    }
    record(codes, diversity.value().f32()[0], accuracy, K, masked.size());
    return nn::add(nn::add(contrastive, nn::scale(diversity, kDiversityWeight)), nn::scale(penalty, kPenaltyWeight));
  }

  // The temperature of the next step follows the schedule's fraction at
  // this one (a time budget's fraction is not a function of the step, so the
  // temperature is kept, as the float the quantizer uses).
  void after_step(double fraction) override {
    ++step_;
    tau_.f32()[0] = static_cast<float>(
        std::max(kTauEnd, kTauStart * std::pow(kTauEnd / kTauStart, std::min(1.0, fraction / kTauReachedAt))));
  }
  std::vector<std::pair<std::string, double>> metrics() const override { return metrics_; }
  void visit(nn::ModuleVisitor& v) override {
    v.module("encoder", *encoder_);
    v.module("quantizer.weight_proj", weight_proj_);
    v.param("quantizer.codevectors", codebook_);
    v.module("project_q", project_q_);
    v.module("final_proj", final_proj_);
    v.added_later("quantizer.step");
    v.index("quantizer.step", step_, std::numeric_limits<int64_t>::max());
    v.added_later("quantizer.temperature");
    v.buffer("quantizer.temperature", tau_);
  }

 private:
  // One codevector per group (the one-hot picks it), concatenated: [M, G*V]
  // one-hots x codebook [G*V, E/G] per group -> [M, E].
  Var codevectors(const Var& onehot) const {
    const int64_t M = onehot.shape()[0], d = codebook_.shape()[1];
    Var oh = nn::transpose(nn::reshape(onehot, {M, groups_, entries_}), 0, 1);  // [G,M,V]
    Var cv = nn::matmul(oh, nn::reshape(codebook_, {groups_, entries_, d}));    // [G,M,d]
    return nn::reshape(nn::transpose(cv, 0, 1), {M, groups_ * d});
  }

  // K distractors per masked row from the other masked rows of its clip,
  // each at most once; K = min(100, fewest masked frames of a clip less one).
  // Clips with fewer than two masked frames have no distractor to offer:
  // their rows then point at themselves and are dropped from K's minimum.
  std::vector<int32_t> draw_distractors(const std::vector<int64_t>& clip_start, Rng& rng, int64_t* K_out) {
    int64_t K = kDistractors;
    for (size_t b = 0; b + 1 < clip_start.size(); ++b) {
      const int64_t n = clip_start[b + 1] - clip_start[b];
      if (n >= 2) K = std::min(K, n - 1);
    }
    const int64_t M = clip_start.back();
    if (K == kDistractors && M < 2) K = 1;
    std::vector<int32_t> out(static_cast<size_t>(M * K));
    std::vector<int32_t> others;
    for (size_t b = 0; b + 1 < clip_start.size(); ++b) {
      const int64_t s = clip_start[b], n = clip_start[b + 1] - s;
      for (int64_t m = s; m < s + n; ++m) {
        others.clear();
        for (int64_t o = s; o < s + n; ++o)
          if (o != m) others.push_back(static_cast<int32_t>(o));
        for (int64_t k = 0; k < K; ++k) {
          if (others.empty()) {  // no other masked frame: itself, excluded as equal to the target
            out[m * K + k] = static_cast<int32_t>(m);
            continue;
          }
          const size_t j = k + rng.below(others.size() - static_cast<size_t>(k));
          std::swap(others[static_cast<size_t>(k)], others[j]);
          out[m * K + k] = others[static_cast<size_t>(k)];
        }
      }
    }
    *K_out = K;
    return out;
  }

  // Code perplexity (fairseq's code_perplexity: per group, exp of the
  // entropy of how often each entry was picked in the batch, summed over
  // groups; at most G*V, 1 per group when every frame gets one code) and the
  // soft probabilities' perplexity the diversity loss maximises.
  void record(const nn::Tensor& onehot, float diversity, double accuracy, int64_t K, size_t masked) {
    const int64_t M = onehot.dim(0);
    double perplexity = 0;
    for (int64_t g = 0; g < groups_; ++g) {
      double h = 0;
      for (int64_t v = 0; v < entries_; ++v) {
        double p = 0;
        for (int64_t m = 0; m < M; ++m) p += onehot.f32()[m * groups_ * entries_ + g * entries_ + v];
        p /= std::max<int64_t>(M, 1);
        if (p > 0) h -= p * std::log(p);
      }
      perplexity += std::exp(h);
    }
    metrics_ = {{"code_perplexity", perplexity},
                {"prob_perplexity", static_cast<double>(groups_ * entries_) * (1.0 - diversity)},
                {"codes", static_cast<double>(groups_ * entries_)},
                {"accuracy", accuracy},
                {"distractors", static_cast<double>(K)},
                {"masked_frames", static_cast<double>(masked)},
                {"temperature", tau()}};
  }

  models::W2VEncoder* w2v_ = nullptr;
  nn::Linear weight_proj_;
  Var codebook_;
  nn::Linear project_q_, final_proj_;
  int64_t groups_ = 2, entries_ = 64;  // G codebooks of V entries
  float tau() const { return tau_.f32()[0]; }

  uint64_t seed_ = 0;   // drawn from the run's seed when the model is built
  int64_t step_ = 0;    // steps trained: the next loss() is for this one
  nn::Tensor tau_;      // [1] f32: the Gumbel temperature of the next step
  std::vector<std::pair<std::string, double>> metrics_;
};

}  // namespace

std::unique_ptr<Method> make_wav2vec(const MethodParams& p, Rng& rng) { return std::make_unique<Wav2Vec2>(p, rng); }

}  // namespace sslkit::methods
