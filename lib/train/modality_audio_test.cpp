#include <doctest/doctest.h>

#include "core/rng.hpp"
#include "data/audio_source.hpp"
#include "data/import.hpp"
#include "io/test_util.hpp"
#include "nn/engine.hpp"
#include "train/finetune_options.hpp"
#include "models/w2v.hpp"
#include "train/modality.hpp"

using namespace sslkit;

namespace {

std::string import_audio(const testing::ScratchDir& dir) {
  data::AudioImportOptions ao;
  ao.input = std::string(SSLKIT_DATA_DIR) + "/audio";
  ao.seconds = 0.5;
  data::ImportOptions o;
  o.output = dir / "audio.h5";
  data::AudioSource src(ao);
  data::run_import(src, o);
  return o.output;
}

std::unique_ptr<methods::Method> audio_classifier() {
  methods::MethodParams mp;
  mp.arch = "w2v-tiny";
  mp.num_classes = 3;
  Rng rng(5);
  auto m = methods::make_method("supervised", mp, rng);
  m->set_training(false);
  return m;
}

}  // namespace

TEST_CASE("audio modality: rows are clips with their lengths - features the mean over real frames or every frame") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(import_audio(dir));
  const train::Modality& mod = train::modality_for(io::Modality::audio);
  auto m = audio_classifier();
  const int64_t T = static_cast<int64_t>(in.info("/audio").shape[1]);
  const methods::Batch b = mod.rows(in, {0, 2}, {0, 1, nn::DType::f32});
  CHECK(b.audio.rows == 2);
  CHECK(b.audio.audio.shape() == nn::Shape{2, T});
  CHECK(b.audio.lengths.size() == 2);
  train::FeatureSpec spec;
  mod.prepare_features(*m, spec, "m.h5");
  CHECK(mod.feature_name(*m, spec) == "pool-mean");
  const nn::Var mean = mod.features(*m, b, spec);
  CHECK(mean.shape() == nn::Shape{2, m->encoder().out_dim()});
  spec.frames = true;
  std::vector<int32_t> valid;
  const nn::Var frames = mod.features(*m, b, spec, &valid);
  CHECK(frames.shape().size() == 3);
  CHECK(valid.size() == 2);
  CHECK(mod.feature_name(*m, spec) == "pool-frames");
  // Through the batched loop: each clip's frames side by side, the count reported.
  int64_t per_clip = 0;
  std::vector<int32_t> all_valid;
  train::for_each_feature(mod, *m, in, {0, 1, nn::DType::f32}, spec, false, 2,
                          [&](const nn::Tensor& e, int64_t, int64_t n) { CHECK(e.dim(0) == n); }, &per_clip, &all_valid);
  CHECK(per_clip == frames.shape()[1]);
  CHECK(all_valid.size() == in.size());
}

TEST_CASE("audio modality: the head loss is the classifier's own - image and text options refused") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(import_audio(dir));
  const train::Modality& mod = train::modality_for(io::Modality::audio);
  auto m = audio_classifier();
  train::BatchPlan plan;
  plan.batch = 3;
  plan.seed = 2;
  plan.targets = in.labels();
  plan.params.arch = "w2v-tiny";
  const methods::Batch b = mod.batches(in, plan)->next();
  CHECK(b.pretext.size() == 3);
  const train::FeatureSpec spec;
  CHECK(train::head_loss(mod, *m, b, spec).value().f32()[0] == m->loss(b).value().f32()[0]);
  train::FeatureSpec projector;
  projector.layer = "projector";
  CHECK_THROWS_AS(mod.prepare_features(*m, projector, "m.h5"), UsageError);
  train::FeatureSpec cls;
  cls.pool = "cls";
  CHECK_THROWS_AS(mod.prepare_features(*m, cls, "m.h5"), UsageError);
  CHECK(std::string(mod.baseline_flag()) == "--log-mel");
  CHECK(mod.baseline_features(in).d == 80);
}

TEST_CASE("audio modality: full fine-tuning refuses --recipe - --layer-decay and --pool cls") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(import_audio(dir));
  const train::Modality& mod = train::modality_for(io::Modality::audio);
  train::FullFinetuneOptions o;
  o.report.train = in.name();
  for (const char* flag : {"--recipe", "--layer-decay", "--pool"}) {
    o.given = {flag};
    o.pool = flag == std::string("--pool") ? "cls" : "";
    CHECK_THROWS_AS(mod.plan_finetune(o, in, in), UsageError);
  }
  o.given = {"--pool"};
  o.pool = "mean";
  const train::FinetunePlan p = mod.plan_finetune(o, in, in);
  CHECK(p.params.arch == "w2v-mini");
  CHECK(p.batches.batch == 32);
}

TEST_CASE("audio modality: pretraining batches carry span masks on the encoder's frame grid") {
  testing::ScratchDir dir;
  io::DataReader in(import_audio(dir));
  train::BatchPlan plan;
  plan.batch = 3;
  plan.seed = 2;
  plan.method = &methods::method_info("wav2vec");
  plan.params.arch = "w2v-tiny";
  const methods::Batch b = train::modality_for(io::Modality::audio).batches(in, plan)->next();
  const int64_t frames = models::w2v_frames(models::w2v_shape("w2v-tiny"), static_cast<int64_t>(in.info("/audio").shape[1]));
  CHECK(b.audio.frames == frames);
  CHECK(b.audio.mask.size() == static_cast<size_t>(3 * frames));
}

TEST_CASE("audio modality: a pretraining run's facts of the file - sample rate in the config - seconds as throughput") {
  testing::ScratchDir dir;
  io::DataReader in(import_audio(dir));
  const train::Modality& mod = train::modality_for("audio");
  train::PretrainFile f;
  mod.read_facts(in, f);
  CHECK(f.shape[1] == 8000);  // half a second at 16 kHz
  CHECK(f.config["sample_rate"] == 16000);
  CHECK(f.in_channels == 0);
  CHECK(f.throughput_key == "audio_seconds_per_s");
  CHECK(f.units_per_row == doctest::Approx(0.5));
  CHECK(*mod.pretrain_defaults().method == "wav2vec");
}
