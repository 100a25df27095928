#include <doctest/doctest.h>

#include <algorithm>

#include "core/rng.hpp"
#include "data/tokenizer.hpp"
#include "nn/engine.hpp"
#include "train/finetune_options.hpp"
#include "train/modality.hpp"
#include "train/test_util.hpp"

using namespace sslkit;

namespace {

std::unique_ptr<methods::Method> text_classifier(const io::DataReader& in) {
  methods::MethodParams mp;
  mp.arch = "bert-tiny";
  mp.vocab_size = data::Tokenizer::read_from(in).vocab_size();
  mp.max_len = 24;
  mp.num_classes = 2;
  Rng rng(5);
  auto m = methods::make_method("text-supervised", mp, rng);
  m->set_training(false);
  return m;
}

}  // namespace

TEST_CASE("text modality: rows are the file's tokens computed in the precision asked for") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(testing::import_sample_text(dir));
  const train::Modality& mod = train::modality_for(io::Modality::text);
  const methods::Batch b = mod.rows(in, {1, 2, 7}, {0, 1, nn::DType::bf16});
  CHECK(b.tokens.rows == 3);
  CHECK(b.tokens.length == 24);
  // ssl-embed --precision was ignored for text: its batches stayed f32.
  CHECK(b.tokens.dtype == nn::DType::bf16);
  std::vector<int32_t> ids(24), lengths(1);
  in.read<int32_t>("/tokens", 7, 1, ids.data());
  in.read<int32_t>("/lengths", 7, 1, lengths.data());
  CHECK(std::equal(ids.begin(), ids.end(), b.tokens.ids.begin() + 2 * 24));
  CHECK(b.tokens.lengths[2] == lengths[0]);
  CHECK(mod.max_inference_batch() == 64);
}

TEST_CASE("text modality: sentence features pooled as asked - the head loss is the classifier's own - image and audio options refused") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(testing::import_sample_text(dir));
  const train::Modality& mod = train::modality_for(io::Modality::text);
  auto m = text_classifier(in);
  train::BatchPlan plan;
  plan.batch = 8;
  plan.seed = 2;
  plan.targets = in.labels();
  const methods::Batch b = mod.batches(in, plan)->next();
  // Fine-tuning reads the tokens as they are: nothing masked.
  CHECK(std::all_of(b.tokens.labels.begin(), b.tokens.labels.end(), [](int32_t l) { return l == -100; }));
  CHECK(b.pretext.size() == 8);
  train::FeatureSpec spec;
  mod.prepare_features(*m, spec, "m.h5");
  CHECK(spec.pool == "mean");
  CHECK(mod.feature_name(*m, spec) == "pool-mean");
  CHECK(train::head_loss(mod, *m, b, spec).value().f32()[0] == m->loss(b).value().f32()[0]);
  const nn::Tensor mean = mod.features(*m, b, spec).value();
  spec.pool = "cls";
  const nn::Tensor cls = mod.features(*m, b, spec).value();
  CHECK(mean.shape() == cls.shape());
  CHECK(mean.f32()[0] != cls.f32()[0]);
  CHECK(mod.feature_name(*m, spec) == "pool-cls");
  train::FeatureSpec projector;
  projector.layer = "projector";
  CHECK_THROWS_AS(mod.prepare_features(*m, projector, "m.h5"), UsageError);
  train::FeatureSpec frames;
  frames.frames = true;
  CHECK_THROWS_AS(mod.prepare_features(*m, frames, "m.h5"), UsageError);
  CHECK(std::string(mod.baseline_flag()) == "--bag-of-words");
  // The bag of words: each row's counts over the vocabulary add up to its length.
  const eval::Features bag = mod.baseline_features(in);
  REQUIRE(bag.n == static_cast<int64_t>(in.size()));
  std::vector<int32_t> lengths(in.size());
  in.read<int32_t>("/lengths", 0, in.size(), lengths.data());
  for (int64_t i = 0; i < bag.n; ++i) {
    double sum = 0;
    for (int64_t v = 0; v < bag.d; ++v) sum += bag.x[i * bag.d + v];
    CHECK(sum == lengths[i]);
  }
}

TEST_CASE("text modality: full fine-tuning refuses --recipe and --layer-decay - honours --pool") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(testing::import_sample_text(dir));
  const train::Modality& mod = train::modality_for(io::Modality::text);
  train::FullFinetuneOptions o;
  o.report.train = in.name();
  for (const char* flag : {"--recipe", "--layer-decay"}) {
    o.given = {flag};
    try {
      mod.plan_finetune(o, in, in);
      FAIL(flag << " accepted");
    } catch (const UsageError& e) {
      CHECK(std::string(e.what()).rfind(flag, 0) == 0);  // the message starts with the option
      CHECK(std::string(e.what()).find(in.name()) != std::string::npos);
    }
  }
  o.given = {"--pool"};
  o.pool = "cls";
  const train::FinetunePlan p = mod.plan_finetune(o, in, in);
  CHECK(p.features.pool == "cls");
  CHECK(p.report.at("pool") == "cls");
  CHECK(p.method == "text-supervised");
  CHECK(p.params.arch == "bert-mini");
  CHECK(!p.extras.tokenizer.empty());
}

TEST_CASE("text modality: pretraining batches are masked for MLM") {
  testing::ScratchDir dir;
  io::DataReader in(testing::import_sample_text(dir));
  train::BatchPlan plan;
  plan.batch = 8;
  plan.seed = 2;
  plan.method = &methods::method_info("mlm");
  const methods::Batch b = train::modality_for(io::Modality::text).batches(in, plan)->next();
  CHECK(b.tokens.rows == 8);
  CHECK(std::any_of(b.tokens.labels.begin(), b.tokens.labels.end(), [](int32_t l) { return l != -100; }));
}

TEST_CASE("text modality: a pretraining run's facts of the file - the tokenizer's vocabulary - held-out rows - the tokenizer kept") {
  testing::ScratchDir dir;
  io::DataReader in(testing::import_sample_text(dir));
  const train::Modality& mod = train::modality_for("text");
  train::PretrainFile f;
  mod.read_facts(in, f);
  CHECK(f.vocab_size == data::Tokenizer::read_from(in).vocab_size());
  CHECK(f.max_len == 24);
  CHECK(f.config.empty());
  CHECK(f.throughput_key == "sequences_per_s");
  CHECK(mod.held_out(in, "", 0.0, 0, 4) == nullptr);  // nothing asked: nothing held out
  const auto held = mod.held_out(in, "", 0.25, 0, 4);
  REQUIRE(held != nullptr);
  CHECK(held->train_rows().size() + held->summary()["rows"].get<size_t>() == in.size());
  train::CheckpointExtras x;
  mod.model_extras(in, x);
  CHECK(x.tokenizer == in.read_all<uint8_t>("/tokenizer"));
}
