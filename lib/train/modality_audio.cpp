// Audio after the import: clip batches with span masks on the encoder's
// frame grid (and augmented views for two-view methods), clip features as
// the mean over each clip's real frames (or every frame), the sample rate
// and frame count checked against the model, log-mel statistics as the
// probe's baseline, and full fine-tuning of the wav2vec encoder.
#include "augment/audio_ops.hpp"
#include "core/error.hpp"
#include "data/finite_clips.hpp"
#include "models/encoders.hpp"
#include "models/w2v.hpp"
#include "train/finetune_options.hpp"
#include "train/modality.hpp"
#include "batches/sequence_batches.hpp"

namespace sslkit::train {

namespace {

using json = nlohmann::ordered_json;
using namespace modality_detail;

int64_t samples_of(const io::DataReader& in) { return static_cast<int64_t>(in.info("/audio").shape[1]); }

const models::W2VEncoder& w2v_of(methods::Method& m) {
  const auto* w2v = dynamic_cast<const models::W2VEncoder*>(&m.encoder());
  SSLKIT_CHECK(w2v, "an audio model without an audio encoder");
  return *w2v;
}

class AudioModality : public Modality {
 public:
  io::Modality kind() const override { return io::Modality::audio; }
  const char* unit() const override { return "clips"; }

  void read_facts(const io::DataReader& in, PretrainFile& f) const override {
    f.shape = in.info("/audio").shape;
    f.config["sample_rate"] = in.sample_rate();
    f.throughput_key = "audio_seconds_per_s";
    f.units_per_row = f.shape[1].get<double>() / static_cast<double>(in.sample_rate());
  }
  const methods::RunDefaults& pretrain_defaults() const override {
    // wav2vec 2.0 on w2v-mini, 32 one-second clips a step (fairseq: 1.4 M
    // samples a GPU; w2v-mini takes about 0.35 s a step of 32 in bf16 on 2
    // cores with AMX), clips augmented by the audio recipe.
    static const methods::RunDefaults d{.method = "wav2vec", .arch = "w2v-mini", .batch = 32, .recipe = "audio"};
    return d;
  }
  void prepare_pretrain(const io::DataReader&, json&) const override {}
  void model_extras(const io::DataReader&, CheckpointExtras&) const override {}

  std::unique_ptr<BatchSource> batches(const io::DataReader& in, const BatchPlan& plan) const override {
    SequenceBatchSpec spec = sequence_spec(plan);
    if (plan.targets.empty()) {
      // Pretraining: span masks on the encoder's own frame grid, and the
      // augmented views of a two-view method.
      const models::EncoderShape shape = methods::encoder_shape(plan.params);
      spec.frames = models::w2v_frames(shape, samples_of(in));
      spec.frames_of = [shape](int64_t n) { return models::w2v_frames(shape, n); };
      spec.audio_views = plan.method ? plan.method->views : 0;
      if (spec.audio_views > 0) spec.audio_recipe = augment::make_audio_recipe(plan.config.at("recipe"));
    }
    return std::make_unique<SourceOf<AudioBatches>>(in, std::move(spec));
  }

  methods::Batch rows(const io::DataReader& in, const std::vector<size_t>& rows, const ModelInput& input) const override {
    methods::Batch b;
    methods::AudioBatch& a = b.audio;
    const int64_t n = static_cast<int64_t>(rows.size()), T = samples_of(in);
    a.rows = n;
    a.samples = T;
    a.dtype = input.dtype;
    a.audio = nn::Tensor({n, T}, nn::DType::f32);
    a.lengths.resize(static_cast<size_t>(n));
    read_rows<float>(in, "/audio", rows, a.audio.f32());
    for (size_t i = 0, j = 0; i < rows.size(); i = j) {  // each run of consecutive rows at once
      for (j = i + 1; j < rows.size() && rows[j] == rows[j - 1] + 1;) ++j;
      data::require_finite_clips(in.name(), a.audio.f32() + i * T, j - i, static_cast<size_t>(T), rows[i]);
    }
    read_rows<int32_t>(in, "/lengths", rows, a.lengths.data());
    return b;
  }
  int max_inference_batch() const override { return 64; }

  void check_input(const TrainedModel& t, const std::string& model_path, const io::DataReader& in) const override {
    if (t.sample_rate > 0 && in.sample_rate() != t.sample_rate)
      throw UsageError(in.name() + " is audio at " + std::to_string(in.sample_rate()) + " Hz; " + model_path +
                       " was trained at " + std::to_string(t.sample_rate) + " Hz (import it with --sample-rate " +
                       std::to_string(t.sample_rate) + ")");
    const int64_t T = samples_of(in);
    if (models::w2v_frames(w2v_of(*t.method).shape(), T) < 1)
      throw Error(in.name(), "clips of " + std::to_string(T) + " samples are shorter than one frame");
  }

  void prepare_features(methods::Method&, FeatureSpec& s, const std::string& model_path) const override {
    if (s.layer != "backbone")
      throw UsageError("--layer " + s.layer + " goes with image models; " + model_path +
                       " is an audio model (it has --frames)");
    if (!s.pool.empty() && s.pool != "mean")
      throw UsageError("audio models pool by the mean over frames (or give each with --frames); --pool " + s.pool);
  }

  nn::Var features(methods::Method& m, const methods::Batch& b, const FeatureSpec& s,
                   std::vector<int32_t>* valid_frames) const override {
    const models::W2VEncoder& w2v = w2v_of(m);
    const methods::AudioBatch& a = b.audio;
    if (!s.frames) return w2v.embed(a.audio, a.lengths, a.dtype);
    std::vector<int32_t> valid;
    nn::Var f = w2v.frames(a.audio, a.lengths, a.dtype, &valid);
    if (valid_frames) valid_frames->insert(valid_frames->end(), valid.begin(), valid.end());
    return f;
  }

  std::string feature_name(methods::Method&, const FeatureSpec& s) const override {
    return s.frames ? "pool-frames" : "pool-mean";
  }

  const char* baseline_flag() const override { return "--log-mel"; }
  eval::Features baseline_features(const io::DataReader& in) const override {
    return eval::load_features(in, /*raw_pixels=*/false, /*log_mel=*/true);
  }

  FinetunePlan plan_finetune(const FullFinetuneOptions& o, const io::DataReader& tr,
                             const io::DataReader& te) const override {
    const eval::FinetuneOptions& r = o.report;
    refuse_option(o, "--recipe", "augments training images; " + tr.name() +
                                     " holds audio (fine-tuning reads its clips as they are)");
    refuse_option(o, "--layer-decay", "is MAE's layer-wise decay of a ViT; " + tr.name() +
                                          " holds audio (its encoder learns at --lr times --backbone-lr-scale)");
    if (!o.pool.empty() && o.pool != "mean")
      throw UsageError("--pool " + o.pool + ": audio models pool by the mean over each clip's real frames");
    FinetunePlan p;
    p.method = "supervised";
    methods::MethodParams& mp = p.params;
    if (!r.model.empty()) {
      TrainedModel t = load_trained_model(r.model);
      check_model_input(t, r.model, tr);
      mp.arch = t.arch;
      mp.encoder = methods::read_params(json::parse(t.config), r.model).encoder;  // the model's whole shape
    } else {
      mp.arch = scratch_arch(o, "audio", "w2v-mini", tr);
    }
    for (const io::DataReader* f : {&tr, &te})
      if (models::w2v_frames(methods::encoder_shape(mp), samples_of(*f)) < 1)
        throw Error(f->name(), "clips are shorter than one frame of the encoder (400 samples)");
    p.lr = o.lr;
    p.weight_decay = o.weight_decay;
    p.report["backbone_lr_scale"] = o.backbone_lr_scale;
    p.batches.batch = 32;  // clips a step unless --batch, as ssl-pretrain for audio
    return p;
  }

  void load_encoder(methods::Method& m, const std::string& model_path) const override {
    load_checkpoint_part(model_path, "encoder.", m.encoder());
  }

  std::vector<nn::ParamGroup> finetune_groups(methods::Method& m, const FinetunePlan& p,
                                              double backbone_lr_scale) const override {
    // The pretrained encoder moves slower than the new head, as for images.
    return backbone_and_head_groups(m, p.weight_decay, backbone_lr_scale);
  }
};

}  // namespace

const Modality& audio_modality() {
  static const AudioModality m;
  return m;
}

}  // namespace sslkit::train
