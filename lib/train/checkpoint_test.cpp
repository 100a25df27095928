#include <doctest/doctest.h>

#include <cstring>

#include "core/error.hpp"
#include "io/test_util.hpp"
#include "nn/gradcheck.hpp"
#include "models/encoders.hpp"
#include "nn/engine.hpp"
#include "io/model_file.hpp"
#include "methods/method.hpp"
#include "nn/layers.hpp"
#include "train/checkpoint.hpp"

using namespace sslkit;

TEST_CASE("checkpoint: parameters - buffers - optimizer state and step round-trip bit-exactly") {
  nn::init_engine();
  testing::ScratchDir dir;
  Rng rng(1);
  models::ConvNetS a(1, rng);
  // Move the running statistics away from their initial values.
  a.forward(nn::Var(nn::random_tensor({4, 8, 8, 1}, 2)));
  nn::Tensor moment = nn::random_tensor({3, 2}, 3);
  train::CheckpointExtras x;
  x.optimizer = {{"adam.m.0", &moment}};
  x.step = 17;
  x.epoch = 2;
  x.loss = {1.5f, 1.25f};
  x.config = R"({"arch": "convnet-s"})";
  train::save_checkpoint(dir / "m.h5", a, x);

  Rng other(5);
  models::ConvNetS b(1, other);
  nn::Tensor moment_b = nn::Tensor::zeros({3, 2});
  train::CheckpointExtras y;
  y.optimizer = {{"adam.m.0", &moment_b}};
  std::string config = train::load_checkpoint(dir / "m.h5", b, &y);
  CHECK(config == x.config);
  auto pa = a.named_parameters(), pb = b.named_parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    CHECK(std::memcmp(pa[i].second->value().raw(), pb[i].second->value().raw(), pa[i].second->value().bytes()) == 0);
  auto ba = a.named_buffers(), bb = b.named_buffers();
  for (size_t i = 0; i < ba.size(); ++i) CHECK(std::memcmp(ba[i].second->raw(), bb[i].second->raw(), ba[i].second->bytes()) == 0);
  CHECK(std::memcmp(moment.raw(), moment_b.raw(), moment.bytes()) == 0);
  CHECK(y.step == 17);
  CHECK(y.epoch == 2);
  CHECK(y.loss == x.loss);
}

TEST_CASE("checkpoint: a model file with the /state/rng of files before 2026-12-05 still loads - new ones have none") {
  nn::init_engine();
  testing::ScratchDir dir;
  Rng rng(1);
  nn::Linear a(3, 2, rng);
  {
    // Written as save_checkpoint did then, /state/rng included (always
    // empty then; four words here, in case some file holds them).
    io::ModelWriter w(dir / "old.h5");
    w.set_config(R"({"arch": "linear"})");
    for (auto& [name, p] : a.named_parameters()) w.tensor("params", name, p->value().shape(), p->value().f32());
    w.ints("step", {3});
    w.ints("epoch", {1});
    w.ints("rng", {1, 2, 3, 4});
    w.series("loss", {0.5f, 0.25f, 0.125f});
    w.series("lr", {1e-3f, 1e-3f, 1e-3f});
    w.commit();
  }
  Rng other(5);
  nn::Linear b(3, 2, other);
  train::CheckpointExtras y;
  CHECK(train::load_checkpoint(dir / "old.h5", b, &y) == R"({"arch": "linear"})");
  CHECK(y.step == 3);
  CHECK(y.loss.size() == 3);
  CHECK(b.weight.value().to_vector() == a.weight.value().to_vector());
  train::save_checkpoint(dir / "new.h5", b, y);
  CHECK_FALSE(io::ModelReader(dir / "new.h5").has("state", "rng"));
}

TEST_CASE("checkpoint: a shape mismatch is an error naming the tensor") {
  nn::init_engine();
  testing::ScratchDir dir;
  Rng rng(1);
  models::ConvNetS a(1, rng);
  train::save_checkpoint(dir / "m.h5", a, {});
  models::ConvNetS c(3, rng);  // 3 input channels: conv0.weight differs
  CHECK_THROWS_WITH_AS(train::load_checkpoint(dir / "m.h5", c), doctest::Contains("params/conv0.weight has shape"),
                       Error);
}

TEST_CASE("checkpoint: wav2vec's step and temperature round-trip - a file from before they were kept still loads") {
  nn::init_engine();
  testing::ScratchDir dir;
  methods::MethodParams p;
  p.arch = "w2v-tiny";
  auto state = [](methods::Method& m) {
    int64_t step = -1;
    float tau = 0;
    for (const auto& ix : m.named_indices())
      if (ix.name == "quantizer.step") step = *ix.value;
    for (auto& [name, b] : m.named_buffers())
      if (name == "quantizer.temperature") tau = b->f32()[0];
    return std::pair<int64_t, float>{step, tau};
  };
  Rng rng(1);
  auto a = methods::make_method("wav2vec", p, rng);
  a->after_step(0.0);
  a->after_step(0.5);
  const auto trained = state(*a);
  CHECK(trained.first == 2);
  CHECK(trained.second < 2.0f);
  train::save_checkpoint(dir / "m.h5", *a, {});
  Rng other(2);
  auto b = methods::make_method("wav2vec", p, other);
  train::load_checkpoint(dir / "m.h5", *b);
  CHECK(state(*b) == trained);
  {
    // As files were written before: parameters only.
    io::ModelWriter w(dir / "old.h5");
    w.set_config(R"({"method": "wav2vec"})");
    for (auto& [name, v] : a->named_parameters()) w.tensor("params", name, v->value().shape(), v->value().f32());
    w.ints("step", {2});
    w.commit();
  }
  Rng third(3);
  auto c = methods::make_method("wav2vec", p, third);
  train::load_checkpoint(dir / "old.h5", *c);
  CHECK(state(*c) == std::pair<int64_t, float>{0, 2.0f});
  CHECK(c->named_parameters()[0].second->value().to_vector() == a->named_parameters()[0].second->value().to_vector());
}

TEST_CASE("checkpoint: a missing buffer is an error unless the model declares it added later") {
  // Only wav2vec's step and temperature may be absent (ModuleVisitor::added_later):
  // a batch-norm model without its running statistics must not load as if trained.
  nn::init_engine();
  testing::ScratchDir dir;
  Rng rng(1);
  models::ConvNetS a(1, rng);
  {
    io::ModelWriter w(dir / "no-stats.h5");
    w.set_config(R"({"arch": "convnet-s"})");
    for (auto& [name, v] : a.named_parameters()) w.tensor("params", name, v->value().shape(), v->value().f32());
    w.ints("step", {1});
    w.commit();
  }
  CHECK(a.added_later().empty());
  Rng other(2);
  models::ConvNetS b(1, other);
  try {
    train::load_checkpoint(dir / "no-stats.h5", b);
    FAIL("a model file without its batch-norm statistics loaded");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("running_mean") != std::string::npos);
  }
}
