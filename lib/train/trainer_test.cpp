#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "io/data_file.hpp"
#include "io/test_util.hpp"
#include "methods/registry.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/layers.hpp"
#include "nn/ops.hpp"
#include "nn/optim.hpp"
#include "train/trained_model.hpp"
#include "train/trainer.hpp"

using namespace sslkit;

namespace {

// A linear regression the trainer can run: y = 2x, one weight.
struct Toy {
  Rng rng{3};
  nn::Linear model{1, 1, rng};
  nn::AdamW opt{{nn::ParamGroup{{&model.weight, &model.bias}, 1.0, 0.0, false}}, 1e-2};
  methods::Batch batch() {
    methods::Batch b;
    b.views.emplace_back(nn::Tensor::from({4, 1}, {1, 2, 3, 4}));
    return b;
  }
  nn::Var loss(const methods::Batch& b) {
    nn::Var target(nn::Tensor::from({4, 1}, {2, 4, 6, 8}));
    nn::Var d = nn::sub(model.forward(b.views[0]), target);
    return nn::mean(nn::mul(d, d));
  }
  train::TrainLoop loop() {
    train::TrainLoop t;
    t.optimizer = &opt;
    t.next_batch = [this] { return batch(); };
    t.loss = [this](const methods::Batch& b) { return loss(b); };
    return t;
  }
};

}  // namespace

TEST_CASE("trainer: runs the steps it is given and lowers the loss") {
  nn::init_engine();
  Toy toy;
  auto t = toy.loop();
  t.budget.total_steps = 50;
  std::vector<float> losses;
  t.after_step.push_back([&](const train::StepReport& r) { losses.push_back(r.loss); });
  auto r = train::train(t);
  CHECK(r.step == 50);
  CHECK(losses.size() == 50);
  CHECK(losses.back() < losses.front());
}

TEST_CASE("trainer: a resumed run starts at its step and stops at the same total") {
  nn::init_engine();
  Toy toy;
  auto t = toy.loop();
  t.budget.total_steps = 20;
  t.start_step = 15;
  std::vector<int64_t> steps;
  t.after_step.push_back([&](const train::StepReport& r) { steps.push_back(r.step); });
  CHECK(train::train(t).step == 20);
  CHECK(steps == std::vector<int64_t>{15, 16, 17, 18, 19});
}

TEST_CASE("trainer: under a time budget the hooks see the elapsed fraction - resumed budgets included") {
  // The BYOL defect: after_step got max(step + 1, 1000) as the total, so the
  // target froze after 1000 steps whatever the budget. Hooks now get the
  // same fraction the learning rate follows.
  nn::init_engine();
  Toy toy;
  auto t = toy.loop();
  t.budget.seconds = 1000;
  t.budget.seconds_done = 500;  // half spent by an earlier run
  t.budget.max_steps = 30;
  t.schedule = {1.0, 0.05};
  std::vector<train::StepReport> seen;
  t.after_step.push_back([&](const train::StepReport& r) { seen.push_back(r); });
  train::train(t);
  REQUIRE(seen.size() == 30);
  for (const auto& r : seen) {
    CHECK(r.fraction >= 0.5);
    CHECK(r.fraction < 0.51);
    CHECK(r.seconds >= 500);
    // Past warmup: the lr continues the cosine, it does not restart at 0.
    CHECK(r.lr == doctest::Approx(t.schedule.lr(r.fraction)));
    CHECK(r.lr > 0.5);
  }
  CHECK(nn::byol_tau(seen.back().fraction) < 0.9951);
}

TEST_CASE("trainer: the schedule warms up linearly then follows the cosine") {
  train::Schedule s{1.0, 0.1, 0.0};
  CHECK(s.lr(0.05) == doctest::Approx(0.5));
  CHECK(s.lr(0.1) == doctest::Approx(1.0));
  CHECK(s.lr(0.55) == doctest::Approx(0.5));
  CHECK(s.lr(1.0) == doctest::Approx(0.0));
  // Never above the base rate, however close to the end of warmup (an offset
  // in the ramp once gave 1.8 % more just before it ended).
  double highest = 0;
  for (int i = 0; i <= 10000; ++i) highest = std::max(highest, s.lr(i / 10000.0));
  CHECK(highest <= 1.0);
}

TEST_CASE("trainer: warmup over steps gives step k the rate (k + 1) / warmup steps - reaching the base exactly") {
  // llm.c's and nanoGPT's rule: the first step is not taken at lr 0, the
  // last warmup step is taken at the base rate, and no step above it.
  nn::init_engine();
  for (int64_t total : {100, 2000, 2003}) {
    CAPTURE(total);
    Toy toy;
    auto t = toy.loop();
    t.budget.total_steps = total;
    t.schedule = train::Schedule{1e-2, 0.05, 0.0};
    std::vector<double> lr;
    t.after_step.push_back([&](const train::StepReport& r) { lr.push_back(r.lr); });
    train::train(t);
    REQUIRE(lr.size() == static_cast<size_t>(total));
    const double warmup_steps = 0.05 * total;
    CHECK(lr[0] == doctest::Approx(1e-2 / warmup_steps));
    CHECK(*std::max_element(lr.begin(), lr.end()) <= 1e-2);
    if (total % 20 == 0) {  // a whole number of warmup steps: the last one is at the base rate
      const size_t last = static_cast<size_t>(warmup_steps) - 1;
      CHECK(lr[last - 1] == doctest::Approx(1e-2 * last / warmup_steps));
      CHECK(lr[last] == doctest::Approx(1e-2).epsilon(1e-12));
      // The cosine then starts from the base rate, as llm.c's does.
      CHECK(lr[last + 1] == doctest::Approx(1e-2).epsilon(1e-12));
      CHECK(lr[last + 2] < 1e-2);
    }
  }
}

TEST_CASE("trainer: a NaN loss stops the run naming the step") {
  nn::init_engine();
  Toy toy;
  auto t = toy.loop();
  t.budget.total_steps = 10;
  t.subject = "m.h5";
  int calls = 0;
  t.loss = [&](const methods::Batch& b) {
    nn::Var l = toy.loss(b);
    if (++calls == 4) return nn::mul(l, nn::Var(nn::Tensor::from(l.value().shape(), {std::numeric_limits<float>::quiet_NaN()})));
    return l;
  };
  CHECK_THROWS_WITH_AS(train::train(t), doctest::Contains("m.h5: loss is NaN at step 3"), Error);
}

TEST_CASE("trainer: a NaN loss from a NaN batch names the data and not the learning rate") {
  nn::init_engine();
  Toy toy;
  auto t = toy.loop();
  t.budget.total_steps = 10;
  t.subject = "m.h5";
  t.data = "clips.h5";
  int calls = 0;
  t.next_batch = [&] {
    methods::Batch b = toy.batch();
    if (++calls == 3) b.views[0] = nn::Var(nn::Tensor::from({4, 1}, {1, std::numeric_limits<float>::quiet_NaN(), 3, 4}));
    return b;
  };
  CHECK_THROWS_WITH_AS(train::train(t), doctest::Contains("clips.h5: non-finite samples in the input batch at step 2"),
                       Error);
  // The clips of an audio batch are checked as well (the loss here turns NaN
  // with them, as a wav2vec loss would).
  calls = 0;
  t.next_batch = [&] {
    methods::Batch b = toy.batch();
    b.audio.audio = nn::Tensor::from({1, 2}, {0.5f, ++calls == 2 ? std::numeric_limits<float>::infinity() : 0.f});
    return b;
  };
  t.loss = [&](const methods::Batch& b) {
    nn::Var l = toy.loss(b);
    if (std::isfinite(b.audio.audio.f32()[1])) return l;
    return nn::mul(l, nn::Var(nn::Tensor::from(l.value().shape(), {std::numeric_limits<float>::quiet_NaN()})));
  };
  CHECK_THROWS_WITH_AS(train::train(t), doctest::Contains("clips.h5: non-finite samples in the input batch at step 1"),
                       Error);
}

TEST_CASE("ema_update refuses modules of different structure instead of truncating") {
  Rng rng(1);
  nn::Linear a(2, 3, rng), b(2, 3, rng);
  nn::MLP c({2, 3, 3}, rng);
  CHECK_NOTHROW(nn::ema_update(a, b, 0.9));
  CHECK_THROWS_AS(nn::ema_update(a, c, 0.9), Error);
}

TEST_CASE("pixel statistics sample the whole file - not its first rows") {
  // 12,000 one-pixel images sorted by class: the first 10,000 black, the
  // rest white. The first 10,000 rows alone give a mean of 0.
  testing::ScratchDir dir;
  {
    io::DataWriter w(dir / "sorted.h5", io::Modality::image);
    w.create("/images", io::DType::u8, {1, 1, 1});
    std::vector<uint8_t> px(12000, 0);
    std::fill(px.begin() + 10000, px.end(), 255);
    w.append("/images", px);
    w.commit();
  }
  io::DataReader r(dir / "sorted.h5");
  auto [mean, stdev] = train::pixel_stats(r);
  CHECK(mean == doctest::Approx(2000.0 / 12000).epsilon(0.1));
  CHECK(stdev > 0.3);
}

TEST_CASE("trainer: bf16 and f32 training of a tiny SimCLR land within 5 % of each other") {
  nn::init_engine();
  if (!nn::cpu_supports_bf16()) {
    MESSAGE("skipped: oneDNN has no bf16 kernels on " << nn::cpu_isa_name());
    return;
  }
  auto run = [](nn::DType dt) {
    methods::MethodParams p;
    p.hidden_dim = 64;
    p.proj_dim = 32;
    Rng rng(1);
    auto m = methods::make_method("simclr", p, rng);
    m->set_training(true);
    nn::AdamW opt(nn::decay_groups(*m, 0.0), 1e-3);
    train::TrainLoop t;
    t.optimizer = &opt;
    t.budget.total_steps = 30;
    t.schedule = {1e-3, 0.1};
    int64_t k = 0;
    t.next_batch = [&] {
      methods::Batch b;
      const uint64_t s = static_cast<uint64_t>(k++ % 4);
      nn::Tensor x = nn::random_tensor({32, 12, 12, 1}, 10 + s);
      b.views.emplace_back(x.to(dt));
      b.views.emplace_back(nn::add(nn::Var(x), nn::Var(nn::random_tensor({32, 12, 12, 1}, 20 + s))).value().to(dt));
      return b;
    };
    t.loss = [&](const methods::Batch& b) { return m->loss(b); };
    float last = 0;
    t.after_step.push_back([&](const train::StepReport& r) { last = r.loss; });
    train::train(t);
    return last;
  };
  const float f32 = run(nn::DType::f32), bf16 = run(nn::DType::bf16);
  CAPTURE(f32);
  CAPTURE(bf16);
  CHECK(std::abs(f32 - bf16) < 0.05 * std::abs(f32));
}

TEST_CASE("trainer: epochs or a time budget end a run - both is a usage error") {
  CHECK_NOTHROW(train::check_run_length(true, false));
  CHECK_NOTHROW(train::check_run_length(false, true));
  CHECK_NOTHROW(train::check_run_length(false, false));
  CHECK_THROWS_AS(train::check_run_length(true, true), UsageError);
}
