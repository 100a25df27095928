#include <doctest/doctest.h>

#include <cmath>

#include "core/rng.hpp"
#include "methods/factories.hpp"
#include "methods/registry.hpp"
#include "models/text_encoder.hpp"
#include "nn/engine.hpp"
#include "nn/ops.hpp"
#include "nn/optim.hpp"
#include "train/trainer.hpp"

using namespace sslkit;

namespace {

constexpr int32_t kVocab = 24, kMask = 4;

std::unique_ptr<methods::Method> tiny_mlm(uint64_t seed = 1) {
  methods::MethodParams p;
  p.arch = "bert-tiny";
  p.vocab_size = kVocab;
  p.max_len = 8;
  Rng rng(seed);
  return methods::make_method("mlm", p, rng);
}

// Rows of 8 tokens: `lengths` real ones (ids 5..23), padding 0 after them.
methods::Batch batch(const std::vector<std::vector<int32_t>>& rows, const std::vector<int32_t>& lengths,
                     const std::vector<std::pair<int, int>>& masked) {
  methods::Batch b;
  auto& t = b.tokens;
  t.rows = static_cast<int64_t>(rows.size());
  t.length = 8;
  for (size_t r = 0; r < rows.size(); ++r) {
    for (int k = 0; k < 8; ++k) t.ids.push_back(k < lengths[r] ? rows[r][k] : 0);
    t.lengths.push_back(lengths[r]);
  }
  t.labels.assign(t.ids.size(), -100);
  for (auto [r, k] : masked) {
    t.labels[r * 8 + k] = t.ids[r * 8 + k];
    t.ids[r * 8 + k] = kMask;
  }
  return b;
}

}  // namespace

TEST_CASE("mlm: the decoder is the token embedding table - one parameter") {
  auto m = tiny_mlm();
  int tables = 0;
  for (auto& [name, p] : m->named_parameters())
    if (p->value().rank() == 2 && p->value().dim(0) == kVocab) {
      ++tables;
      CHECK(name == "text_encoder.tokens.table");
    }
  CHECK(tables == 1);
  CHECK(m->named_parameters().size() > 10);
}

TEST_CASE("mlm: the tied table's gradient is the sum of both uses - by finite differences") {
  nn::init_engine();
  auto m = tiny_mlm(2);
  m->set_training(false);
  methods::Batch b = batch({{5, 6, 7, 8, 9, 10}, {11, 12, 6, 13}}, {6, 4}, {{0, 2}, {1, 1}, {1, 3}});
  nn::Var* table = nullptr;
  for (auto& [name, p] : m->named_parameters())
    if (name == "text_encoder.tokens.table") table = p;
  REQUIRE(table);
  for (auto& [n, p] : m->named_parameters()) p->zero_grad();
  m->loss(b).backward();
  const nn::Tensor grad = table->grad().clone();
  // Token 6 is an input (embedding use) and a target (decoder use); 7 only a target.
  for (int32_t id : {6, 7, 12}) {
    for (int d : {0, 5, 77}) {
      CAPTURE(id);
      CAPTURE(d);
      float& w = table->value().f32()[id * 128 + d];
      const float keep = w, eps = 1e-2f;
      w = keep + eps;
      const double up = m->loss(b).value().item();
      w = keep - eps;
      const double down = m->loss(b).value().item();
      w = keep;
      const double fd = (up - down) / (2 * eps), an = grad.f32()[id * 128 + d];
      CHECK(std::abs(fd - an) < 0.02 * std::max(1e-3, std::abs(an)) + 2e-4);
    }
  }
}

TEST_CASE("mlm: the loss is the mean cross-entropy over the selected positions only") {
  nn::init_engine();
  auto m = tiny_mlm(3);
  m->set_training(false);
  methods::Batch b = batch({{5, 6, 7, 8, 9, 10, 11, 12}, {13, 14, 15}}, {8, 3}, {{0, 1}, {0, 6}, {1, 2}});
  const float loss = m->loss(b).value().item();
  // By hand: the mean of each selected position's own cross-entropy.
  double sum = 0;
  const std::vector<std::pair<int, int>> sel = {{0, 1}, {0, 6}, {1, 2}};
  for (auto [r, k] : sel) {
    // One selected position at a time gives that position's cross-entropy.
    methods::Batch one = b;
    one.tokens.labels.assign(one.tokens.labels.size(), -100);
    one.tokens.labels[r * 8 + k] = b.tokens.labels[r * 8 + k];
    sum += m->loss(one).value().item();
  }
  CHECK(loss == doctest::Approx(sum / 3).epsilon(1e-4));
  // Nothing selected: nothing counted.
  methods::Batch none = b;
  none.tokens.labels.assign(none.tokens.labels.size(), -100);
  CHECK(m->loss(none).value().item() == doctest::Approx(0.0));
}

TEST_CASE("mlm: attention ignores padding - changing padded tokens changes no loss") {
  nn::init_engine();
  auto m = tiny_mlm(4);
  m->set_training(false);
  methods::Batch a = batch({{5, 6, 7, 0, 0, 0, 0, 0}, {8, 9, 10, 11, 12, 13, 14, 15}}, {3, 8}, {{0, 1}, {1, 4}});
  methods::Batch b = a;
  for (int k = 3; k < 8; ++k) b.tokens.ids[k] = 20 + (k % 3);  // row 0's padding
  CHECK(m->loss(a).value().item() == doctest::Approx(m->loss(b).value().item()).epsilon(1e-6));
}

TEST_CASE("mlm: a tiny model memorises a tiny corpus - most masked tokens right") {
  nn::init_engine();
  auto m = tiny_mlm(5);
  m->set_training(true);
  const std::vector<std::vector<int32_t>> corpus = {
      {5, 9, 13, 17, 21, 6, 10, 14}, {7, 11, 15, 19, 23, 8, 12, 16}, {18, 22, 5, 7, 9, 11, 13, 15}, {20, 6, 8, 10, 12, 14, 16, 18}};
  nn::AdamW opt(nn::decay_groups(*m, 0.0), 3e-3);
  Rng rng(9);
  auto draw = [&] {
    std::vector<std::pair<int, int>> masked;
    for (int r = 0; r < 4; ++r) masked.push_back({r, static_cast<int>(rng.below(8))});
    return batch(corpus, {8, 8, 8, 8}, masked);
  };
  train::TrainLoop loop;
  loop.optimizer = &opt;
  loop.schedule = {3e-3, 0.05};
  loop.budget.total_steps = 1600;
  loop.next_batch = draw;
  loop.loss = [&](const methods::Batch& b) { return m->loss(b); };
  train::train(loop);
  m->set_training(false);
  int right = 0, total = 0;
  for (int r = 0; r < 4; ++r)
    for (int k = 0; k < 8; ++k) {
      methods::Batch b = batch(corpus, {8, 8, 8, 8}, {{r, k}});
      nn::NoGrad ng;
      // The prediction at the masked position: argmax of its logits.
      methods::Batch probe = b;
      int best = -1;
      double best_loss = 1e30;
      for (int32_t guess = 5; guess < kVocab; ++guess) {
        probe.tokens.labels[r * 8 + k] = guess;
        const double l = m->loss(probe).value().item();
        if (l < best_loss) {
          best_loss = l;
          best = guess;
        }
      }
      right += best == corpus[r][k];
      ++total;
    }
  CAPTURE(right);
  // From the measured spread, not a lucky seed: over 17 other seed pairs at
  // one thread and these at two, 24 to 32 of 32 (mean 30.2, sd 2.3; before
  // the warmup fix of issue 24, 17 to 32). These seeds give 31 at one thread
  // and 24 at two (the thread count changes the order of the sums). The
  // former threshold, 30, sat inside that noise; 22 is the mean less 3.5 sd
  // and still over ten times chance (about 2 of 32 at 1 in 19 tokens).
  CHECK(right >= 22);  // of 32
}

TEST_CASE("text pooling: the mean over each row's real tokens or its first token") {
  nn::init_engine();
  Rng rng(3);
  models::TextEncoder enc(models::parse_arch("bert-tiny"), kVocab, 8, rng);
  const std::vector<int32_t> ids = {5, 6, 7, 0, 0, 0, 0, 0, 8, 9, 10, 11, 12, 13, 14, 15}, lengths = {3, 8};
  nn::NoGrad ng;
  const nn::Tensor h = enc.forward(ids, lengths, 8).value();
  const nn::Tensor mean = models::TextEncoder::pool(nn::Var(h), lengths, 8, false).value();
  const nn::Tensor cls = models::TextEncoder::pool(nn::Var(h), lengths, 8, true).value();
  const int64_t D = enc.width();
  REQUIRE(mean.shape() == nn::Shape{2, D});
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t d = 0; d < D; ++d) {
      double s = 0;
      for (int k = 0; k < lengths[r]; ++k) s += h.f32()[(r * 8 + k) * D + d];
      CHECK(mean.f32()[r * D + d] == doctest::Approx(s / lengths[r]).epsilon(1e-5));
      CHECK(cls.f32()[r * D + d] == h.f32()[(r * 8) * D + d]);
    }
}

TEST_CASE("text classifier: learns labels carried by the tokens - and runs in bf16 where the CPU has it") {
  nn::init_engine();
  methods::MethodParams p;
  p.arch = "bert-tiny";
  p.vocab_size = kVocab;
  p.max_len = 8;
  p.num_classes = 2;
  Rng rng(6);
  auto m = methods::make_method("text-supervised", p, rng);
  // Class 0 rows hold ids 5..13, class 1 rows 14..23.
  methods::Batch b;
  b.tokens.rows = 8;
  b.tokens.length = 8;
  for (int r = 0; r < 8; ++r) {
    for (int k = 0; k < 8; ++k) b.tokens.ids.push_back(k < 6 ? (r % 2 ? 14 : 5) + static_cast<int32_t>(rng.below(9)) : 0);
    b.tokens.lengths.push_back(6);
    b.pretext.push_back(r % 2);
  }
  b.tokens.labels.assign(64, -100);
  nn::AdamW opt(nn::decay_groups(*m, 0.0), 1e-3);
  m->set_training(true);
  const float first = m->loss(b).value().item();
  for (int s = 0; s < 30; ++s) {
    nn::Var l = m->loss(b);
    for (auto* q : m->parameters()) q->zero_grad();
    l.backward();
    opt.step();
  }
  CHECK(m->loss(b).value().item() < 0.5f * first);
  if (nn::cpu_supports_bf16()) {
    methods::Batch h = b;
    h.tokens.dtype = nn::DType::bf16;
    nn::NoGrad ng;
    CHECK(m->loss(h).value().item() == doctest::Approx(m->loss(b).value().item()).epsilon(0.05));
  }
}
