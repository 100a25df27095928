// Audio after the import: clip batches with span masks on the encoder's
// frame grid (and augmented views for two-view methods), clip features as
// the mean over each clip's real frames (or every frame), the sample rate
// and frame count checked against the model, log-mel statistics as the
// probe's baseline, and full fine-tuning of the wav2vec encoder.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "augment/audio_ops.hpp"
#include "core/error.hpp"
#include "data/finite_clips.hpp"
#include "data/log_mel.hpp"
#include "io/picture.hpp"
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

// The clip's log-mel spectrogram as a BGR strip W x H, low frequencies at
// the bottom, each frame under the samples it covers so it lines up with the
// waveform above it. Shaded over the clip's top 80 dB (ln 10^8 = 18.4 in
// natural log) so quiet clips show as much as loud ones; padding is grey.
cv::Mat spectrogram_strip(const std::vector<float>& wave, int length, int rate, int W, int H) {
  const data::MelParams p = data::mel_params_for_rate(rate);
  int frames = 0;
  const std::vector<float> spec = data::log_mel(wave.data(), length, p, &frames);
  cv::Mat strip(H, W, CV_8UC3, cv::Scalar(190, 190, 190));
  if (frames == 0) return strip;
  const float top = *std::max_element(spec.begin(), spec.end()), range = 18.42f;
  cv::Mat shade(p.n_mels, frames, CV_8UC1);
  for (int f = 0; f < frames; ++f)
    for (int m = 0; m < p.n_mels; ++m) {
      const float v = (spec[static_cast<size_t>(f) * p.n_mels + m] - top + range) / range;
      shade.at<uint8_t>(p.n_mels - 1 - m, f) = cv::saturate_cast<uint8_t>(255.f * std::clamp(v, 0.f, 1.f));
    }
  cv::Mat color;
  cv::applyColorMap(shade, color, cv::COLORMAP_VIRIDIS);
  const size_t t = wave.size();
  for (int x = 0; x < W; ++x) {
    // The frame whose window is centred nearest this column's time (the
    // first and last frames reach to the clip's ends).
    const double sample = (x + 0.5) * t / W;
    if (sample >= length) continue;
    const int f = std::clamp(static_cast<int>(std::lround((sample - p.n_fft / 2.0) / p.hop)), 0, frames - 1);
    for (int y = 0; y < H; ++y) strip.at<cv::Vec3b>(y, x) = color.at<cv::Vec3b>(y * p.n_mels / H, f);
  }
  return strip;
}

// One panel per clip: the min/max envelope per pixel column, padding grey,
// and the log-mel spectrogram under it.
void waveforms(const io::DataReader& r, const std::string& path, int count) {
  size_t n = std::min<size_t>(std::min(count, 16), r.size());
  if (n == 0) throw Error(r.name(), "no samples to preview");
  auto info = r.info("/audio");
  size_t t = info.shape[1];
  const int rate = r.sample_rate();
  const int W = 800, H = 80, SH = 80, pad = 4;
  cv::Mat canvas(static_cast<int>(n) * (H + SH + pad) + pad, W + 2 * pad, CV_8UC3, cv::Scalar(255, 255, 255));
  std::vector<float> wave(t);
  auto labels = r.labels();
  auto names = r.class_names();
  for (size_t i = 0; i < n; ++i) {
    r.read<float>("/audio", i, 1, wave.data());
    int32_t len = static_cast<int32_t>(t);
    r.read<int32_t>("/lengths", i, 1, &len);
    len = std::clamp<int32_t>(len, 0, static_cast<int32_t>(t));
    int y0 = pad + static_cast<int>(i) * (H + SH + pad);
    cv::rectangle(canvas, cv::Rect(pad, y0, W, H), cv::Scalar(245, 245, 245), cv::FILLED);
    float peak = 1e-6f;
    for (size_t k = 0; k < t; ++k) peak = std::max(peak, std::fabs(wave[k]));
    for (int x = 0; x < W; ++x) {
      size_t a = t * x / W, b = std::max(a + 1, t * (x + 1) / W);
      float lo = 0, hi = 0;
      for (size_t k = a; k < b && k < t; ++k) {
        lo = std::min(lo, wave[k]);
        hi = std::max(hi, wave[k]);
      }
      bool padded = static_cast<int64_t>(a) >= len;
      int ymid = y0 + H / 2;
      int yl = ymid - static_cast<int>(hi / peak * (H / 2 - 2)), yh = ymid - static_cast<int>(lo / peak * (H / 2 - 2));
      cv::line(canvas, {pad + x, yl}, {pad + x, yh}, padded ? cv::Scalar(190, 190, 190) : cv::Scalar(160, 80, 20));
    }
    spectrogram_strip(wave, len, rate, W, SH).copyTo(canvas(cv::Rect(pad, y0 + H, W, SH)));
    std::string label = labels[i] >= 0 && labels[i] < static_cast<int32_t>(names.size()) ? names[labels[i]]
                        : labels[i] >= 0 ? std::to_string(labels[i]) : "";
    cv::putText(canvas, label, {pad + 4, y0 + 14}, cv::FONT_HERSHEY_SIMPLEX, 0.4, cv::Scalar(0, 0, 0));
  }
  io::save_png(canvas, path);
}

class AudioModality : public Modality {
 public:
  io::Modality kind() const override { return io::Modality::audio; }
  const char* unit() const override { return "clips"; }

  std::vector<std::string> preview(const io::DataReader& in, const std::string& png_path, int count) const override {
    waveforms(in, png_path, count);
    return {};
  }

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
    batches::SequenceBatchSpec spec = sequence_spec(plan);
    if (plan.targets.empty()) {
      // Pretraining: span masks on the encoder's own frame grid, and the
      // augmented views of a two-view method.
      const models::EncoderShape shape = methods::encoder_shape(plan.params);
      spec.frames = models::w2v_frames(shape, samples_of(in));
      spec.frames_of = [shape](int64_t n) { return models::w2v_frames(shape, n); };
      spec.audio_views = plan.method ? plan.method->views : 0;
      if (spec.audio_views > 0) spec.audio_recipe = augment::make_audio_recipe(plan.config.at("recipe"));
    }
    return std::make_unique<batches::AudioBatches>(in, std::move(spec));
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
