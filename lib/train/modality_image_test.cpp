#include <doctest/doctest.h>

#include <algorithm>

#include "core/rng.hpp"
#include "data/idx_source.hpp"
#include "data/import.hpp"
#include "io/test_util.hpp"
#include "nn/engine.hpp"
#include "train/finetune_options.hpp"
#include "train/modality.hpp"

using namespace sslkit;

namespace {

std::string import_fashion(const testing::ScratchDir& dir) {
  const std::string data = SSLKIT_DATA_DIR;
  data::ImportOptions o;
  o.output = dir / "img.h5";
  data::IdxSource src(data + "/idx/fashion-120-images-idx3-ubyte.gz", data + "/idx/fashion-120-labels-idx1-ubyte.gz", "");
  data::run_import(src, o);
  return o.output;
}

std::unique_ptr<methods::Method> classifier(const std::string& arch = "convnet-s") {
  methods::MethodParams mp;
  mp.arch = arch;
  mp.in_channels = 1;
  mp.num_classes = 10;
  Rng rng(5);
  auto m = methods::make_method("supervised", mp, rng);
  m->set_training(false);
  return m;
}

}  // namespace

TEST_CASE("image modality: rows are normalised pixels in the model's dtype - any set of rows reads as the same rows") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(import_fashion(dir));
  const train::Modality& mod = train::modality_for(io::Modality::image);
  const methods::Batch all = mod.rows(in, {4, 5, 6}, {0.3f, 0.2f, nn::DType::f32});
  REQUIRE(all.views.size() == 1);
  CHECK(all.views[0].shape() == nn::Shape{3, 28, 28, 1});
  const methods::Batch one = mod.rows(in, {5}, {0.3f, 0.2f, nn::DType::f32});
  const methods::Batch gaps = mod.rows(in, {0, 5, 9}, {0.3f, 0.2f, nn::DType::f32});
  const int64_t px = 28 * 28;
  for (int64_t i = 0; i < px; ++i) {
    CHECK(all.views[0].value().f32()[px + i] == one.views[0].value().f32()[i]);
    CHECK(gaps.views[0].value().f32()[px + i] == one.views[0].value().f32()[i]);
  }
  std::vector<uint8_t> raw(px);
  in.read<uint8_t>("/images", 5, 1, raw.data());
  CHECK(one.views[0].value().f32()[100] == doctest::Approx((raw[100] / 255.0f - 0.3f) / 0.2f));
  CHECK(mod.rows(in, {5}, {0.3f, 0.2f, nn::DType::bf16}).views[0].dtype() == nn::DType::bf16);
}

TEST_CASE("image modality: features and the head loss are the classifier's own - options of other modalities refused") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(import_fashion(dir));
  const train::Modality& mod = train::modality_for(io::Modality::image);
  auto m = classifier();
  train::BatchPlan plan;
  plan.batch = 8;
  plan.seed = 2;
  plan.targets = in.labels();
  plan.config = {{"normalize", {{"mean", 0.3}, {"std", 0.2}}}, {"views", 1}, {"recipe", "flip(0.5)"}, {"strength", 1.0}};
  const methods::Batch b = mod.batches(in, plan)->next();
  REQUIRE(b.views.size() == 1);
  CHECK(b.pretext.size() == 8);
  train::FeatureSpec spec;
  mod.prepare_features(*m, spec, "m.h5");
  CHECK(mod.features(*m, b, spec).shape() == nn::Shape{8, m->encoder().out_dim()});
  // Full fine-tuning through the interface trains exactly what the method's loss did.
  CHECK(train::head_loss(mod, *m, b, spec).value().f32()[0] == m->loss(b).value().f32()[0]);
  CHECK(mod.feature_name(*m, spec) == "backbone");
  spec.frames = true;
  CHECK_THROWS_AS(mod.prepare_features(*m, spec, "m.h5"), UsageError);
  CHECK(std::string(mod.baseline_flag()) == "--raw-pixels");
  CHECK(mod.baseline_features(in).d == 28 * 28);
  CHECK(train::predict_classes(mod, *m, in, {0.3f, 0.2f, nn::DType::f32}, train::FeatureSpec{}).size() == in.size());
}

TEST_CASE("image modality: full fine-tuning refuses ViT options on a convolutional encoder") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(import_fashion(dir));
  train::FullFinetuneOptions o;
  o.report.train = in.name();
  o.arch = "convnet-s";
  for (const char* flag : {"--pool", "--layer-decay"}) {
    o.given = {flag};
    o.pool = flag == std::string("--pool") ? "mean" : "";
    CHECK_THROWS_AS(train::modality_for(io::Modality::image).plan_finetune(o, in, in), UsageError);
  }
  o.given = {"--recipe"};
  o.pool.clear();
  o.recipe = "flip(0.5)";
  const train::FinetunePlan p = train::modality_for(io::Modality::image).plan_finetune(o, in, in);
  CHECK(p.batches.config.at("recipe") == "flip(0.5)");
  CHECK(p.method == "supervised");
  CHECK(p.layer_decay == 0);
}

TEST_CASE("image modality: pretraining batches follow the method - views - rotation targets and MAE's patch masks") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(import_fashion(dir));
  const train::Modality& mod = train::modality_for(io::Modality::image);
  train::BatchPlan plan;
  plan.batch = 8;
  plan.seed = 2;
  plan.config = {{"normalize", {{"mean", 0.3}, {"std", 0.2}}}, {"recipe", "flip(0.5)"}, {"strength", 1.0}};
  plan.method = &methods::method_info("simclr");
  CHECK(mod.batches(in, plan)->next().views.size() == 2);
  plan.method = &methods::method_info("rotation");
  plan.config["recipe"] = *plan.method->defaults.recipe;  // its rotations are the targets
  const methods::Batch r = mod.batches(in, plan)->next();
  REQUIRE(r.pretext.size() == 8);
  CHECK(std::all_of(r.pretext.begin(), r.pretext.end(), [](int32_t t) { return t >= 0 && t < 4; }));
  plan.config["recipe"] = "flip(0.5)";
  plan.method = &methods::method_info("mae");
  plan.params.patch = 4;
  CHECK(mod.batches(in, plan)->next().patch_mask.size() == 8 * 7 * 7);
  // ssl-pretrain's multi-crop keys: the crops at their size after the full-size views.
  plan.method = &methods::method_info("emp");
  plan.config["views"] = 3;
  plan.config["view_size"] = 16;
  plan.config["global_views"] = 1;
  plan.config["global_recipe"] = "flip(0.5)";
  const methods::Batch e = mod.batches(in, plan)->next();
  REQUIRE(e.views.size() >= 2);
  CHECK(e.views.front().shape()[1] == 28);
  CHECK(e.views.back().shape()[1] == 16);
}

TEST_CASE("image modality: a pretraining run's facts of the file - shape - input size - channels - throughput unit") {
  testing::ScratchDir dir;
  io::DataReader in(import_fashion(dir));
  const train::Modality& mod = train::modality_for("image");
  train::PretrainFile f;
  mod.read_facts(in, f);
  CHECK_FALSE(f.views);
  CHECK(f.shape == nlohmann::ordered_json{120, 28, 28, 1});
  CHECK(f.config["input_shape"] == nlohmann::ordered_json{28, 28});
  CHECK(f.in_channels == 1);
  CHECK(f.vocab_size == 0);
  CHECK(f.throughput_key == "images_per_s");
  CHECK(f.units_per_row == 1);
  // The pixel normalisation is the file's, and a resumed run keeps its own.
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  mod.prepare_pretrain(in, config);
  CHECK(config["normalize"]["mean"].get<double>() > 0.1);
  config["normalize"] = {{"mean", 0.5}, {"std", 0.25}};
  mod.prepare_pretrain(in, config);
  CHECK(config["normalize"]["mean"] == 0.5);
  CHECK(mod.held_out(in, "", 0.0, 0, 8) == nullptr);
  CHECK(*mod.pretrain_defaults().method == "emp");
}
