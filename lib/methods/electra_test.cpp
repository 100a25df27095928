#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/rng.hpp"
#include "methods/electra.hpp"
#include "methods/registry.hpp"
#include "models/text_encoder.hpp"
#include "nn/engine.hpp"
#include "nn/ops.hpp"
#include "nn/optim.hpp"

using namespace sslkit;

namespace {

constexpr int32_t kVocab = 24, kMask = 4;

std::unique_ptr<methods::Method> tiny_electra(uint64_t seed = 1, double fraction = 0.25) {
  methods::MethodParams p;
  p.arch = "bert-tiny";
  p.vocab_size = kVocab;
  p.max_len = 8;
  p.own["generator_fraction"] = fraction;
  p.own["disc_weight"] = 50.0;
  Rng rng(seed);
  return methods::make_method("electra", p, rng);
}

// Rows of 8 tokens: `lengths` real ones, padding 0 after them; `masked`
// positions get [MASK] with the original as their label.
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

double metric(const methods::Method& m, const std::string& name) {
  for (const auto& [n, v] : m.metrics())
    if (n == name) return v;
  FAIL("no metric " << name);
  return 0;
}

}  // namespace

TEST_CASE("electra: the generator has a quarter of the width and the full depth with heads of 64 - the reference's shape on bert-mini") {
  const models::EncoderShape mini = models::parse_arch("bert-mini");  // 256 wide, 4 deep, 4 heads
  const models::EncoderShape g = methods::electra_generator_shape(mini, 0.25);
  CHECK(g.width == 64);
  CHECK(g.depth == 4);
  CHECK(g.heads == 1);
  CHECK(g.mlp == 256);
  CHECK(models::shape_problem(g).empty());
  // Widths that 64 does not divide into width / 64 heads get fewer heads.
  models::EncoderShape wide = mini;
  wide.width = 800;  // 0.25: 200 wide, 200 / 64 = 3 heads do not divide it: 2
  CHECK(methods::electra_generator_shape(wide, 0.25).heads == 2);
  CHECK(methods::electra_generator_shape(mini, 1.0).width == 256);
  CHECK(methods::electra_generator_shape(mini, 1.0).heads == 4);
}

TEST_CASE("electra: one token table shared by both networks - the generator projects it only when narrower") {
  for (double fraction : {0.25, 1.0}) {
    CAPTURE(fraction);
    auto m = tiny_electra(1, fraction);
    int tables = 0;
    bool projects = false;
    std::set<std::string> prefixes;
    for (auto& [name, p] : m->named_parameters()) {
      if (p->value().rank() == 2 && p->value().dim(0) == kVocab) {
        ++tables;
        CHECK(name == "text_encoder.tokens.table");
      }
      projects |= name.rfind("generator.embed_proj.", 0) == 0;
      prefixes.insert(name.substr(0, name.find('.')));
    }
    CHECK(tables == 1);
    CHECK(projects == (fraction < 1));
    CHECK(prefixes == std::set<std::string>{"text_encoder", "generator", "disc_head"});
  }
  // The generator of bert-tiny at 0.25 is 32 wide; its head returns to the
  // embeddings' 128 to score against the shared table.
  auto m = tiny_electra();
  for (auto& [name, p] : m->named_parameters()) {
    if (name == "generator.block0.ln1.weight") CHECK(p->value().dim(0) == 32);
    if (name == "generator.head_dense.weight") CHECK(p->value().shape() == nn::Shape{128, 32});
    if (name == "generator.embed_proj.weight") CHECK(p->value().shape() == nn::Shape{32, 128});
  }
}

TEST_CASE("electra: discriminator targets - replaced 1 and a sample equal to the original 0") {
  // Row 0: 6 real tokens, positions 1 and 4 masked; row 1: 3 real, position 2 masked.
  methods::Batch b = batch({{5, 6, 7, 8, 9, 10}, {11, 12, 13}}, {6, 3}, {{0, 1}, {0, 4}, {1, 2}});
  // The batches' 10 % kept: a selected position whose input is the original.
  b.tokens.ids[1 * 8 + 2] = 13;
  // The generator forced: position 1 gets 20 (replaced), position 4 gets its
  // original 9 (counts as original), row 1's position 2 gets 21.
  const std::vector<int32_t> at = {1, 4, 10, 0 /* bucket padding */}, sampled = {20, 9, 21};
  std::vector<int32_t> ids;
  const std::vector<int32_t> targets = methods::electra_disc_targets(b.tokens, at, sampled, &ids);
  const std::vector<int32_t> want_targets = {0, 1, 0, 0, 0, 0, -100, -100, 0, 0, 1, -100, -100, -100, -100, -100};
  const std::vector<int32_t> want_ids = {5, 20, 7, 8, 9, 10, 0, 0, 11, 12, 21, 0, 0, 0, 0, 0};
  CHECK(targets == want_targets);
  CHECK(ids == want_ids);
  // No sample: the originals, every real token original.
  std::vector<int32_t> plain;
  const std::vector<int32_t> none = methods::electra_disc_targets(b.tokens, {}, {}, &plain);
  CHECK(plain == std::vector<int32_t>{5, 6, 7, 8, 9, 10, 0, 0, 11, 12, 13, 0, 0, 0, 0, 0});
  CHECK(std::count(none.begin(), none.end(), 1) == 0);
  CHECK(std::count(none.begin(), none.end(), 0) == 9);
}

TEST_CASE("electra: samples follow the generator's softmax") {
  // Probabilities 0.6, 0.3, 0.1, 0 (the last a logit of -1e9).
  nn::Tensor logits({2, 4}, nn::DType::f32);
  const float z[4] = {std::log(0.6f), std::log(0.3f), std::log(0.1f), -1e9f};
  for (int r = 0; r < 2; ++r)
    for (int v = 0; v < 4; ++v) logits.f32()[r * 4 + v] = z[v] + (r ? 3.0f : 0.0f);  // a shift changes nothing
  Rng rng(7);
  std::vector<int> count(4, 0);
  const int n = 20000;
  for (int i = 0; i < n / 2; ++i)
    for (int32_t s : methods::electra_sample(logits, 2, rng)) ++count[s];
  CHECK(count[0] == doctest::Approx(0.6 * n).epsilon(0.03));
  CHECK(count[1] == doctest::Approx(0.3 * n).epsilon(0.05));
  CHECK(count[2] == doctest::Approx(0.1 * n).epsilon(0.1));
  CHECK(count[3] == 0);
  // Only the first n rows are drawn (the rest is the selection's bucket padding).
  CHECK(methods::electra_sample(logits, 1, rng).size() == 1);
}

TEST_CASE("electra: the sigmoid cross-entropy as a two-way softmax over (0 z) is log(1 + e^z) - y z") {
  nn::Tensor z({4, 1}, nn::DType::f32);
  const float zs[4] = {-2.0f, 0.5f, 3.0f, -0.25f};
  const std::vector<int32_t> y = {0, 1, 0, -100};
  std::copy(zs, zs + 4, z.f32());
  const nn::Var two = nn::concat({nn::Var(nn::Tensor::zeros({4, 1})), nn::Var(z)}, 1);
  double want = 0;
  for (int i = 0; i < 3; ++i) want += std::log1p(std::exp(zs[i])) - y[i] * zs[i];
  CHECK(nn::cross_entropy(two, y).value().item() == doctest::Approx(want / 3).epsilon(1e-5));
}

TEST_CASE("electra: the loss is finite and MLM + 50 x detection - it reaches every parameter of both networks") {
  nn::init_engine();
  auto m = tiny_electra(2);
  m->set_training(true);
  methods::Batch b = batch({{5, 6, 7, 8, 9, 10, 11, 12}, {13, 14, 15, 16}}, {8, 4}, {{0, 1}, {0, 5}, {1, 2}});
  for (auto& [n, p] : m->named_parameters()) p->zero_grad();
  nn::Var loss = m->loss(b);
  const double l = loss.value().item();
  CHECK(std::isfinite(l));
  const double gen = metric(*m, "gen_loss"), disc = metric(*m, "disc_loss");
  CHECK(gen > 0);
  CHECK(disc > 0);
  CHECK(l == doctest::Approx(gen + 50 * disc).epsilon(1e-5));
  // An untrained generator over 24 tokens is near uniform: its MLM loss near log 24.
  CHECK(gen == doctest::Approx(std::log(24.0)).epsilon(0.3));
  loss.backward();
  int generator = 0, discriminator = 0;
  for (auto& kv : m->named_parameters()) {  // no structured binding: clang 14 cannot capture one in CAPTURE/INFO
    auto& name = kv.first;
    auto& p = kv.second;
    CAPTURE(name);
    REQUIRE(p->grad().defined());
    double norm = 0;
    for (int64_t i = 0; i < p->grad().numel(); ++i) norm += std::abs(p->grad().f32()[i]);
    CHECK(norm > 0);
    generator += name.rfind("generator.", 0) == 0;
    discriminator += name.rfind("text_encoder.block", 0) == 0 || name.rfind("disc_head.", 0) == 0;
  }
  CHECK(generator > 5);
  CHECK(discriminator > 5);
}

TEST_CASE("electra: the generator's gradient comes from its MLM loss only - sampling carries none") {
  nn::init_engine();
  // Two models alike: the detection weight changes no generator gradient.
  methods::MethodParams p;
  p.arch = "bert-tiny";
  p.vocab_size = kVocab;
  p.max_len = 8;
  methods::Batch b = batch({{5, 6, 7, 8, 9, 10, 11, 12}, {13, 14, 15, 16}}, {8, 4}, {{0, 1}, {0, 5}, {1, 2}});
  std::map<std::string, nn::Tensor> grads[2];
  for (int i = 0; i < 2; ++i) {
    p.own["disc_weight"] = i ? 1.0 : 50.0;
    Rng rng(4);
    auto m = methods::make_method("electra", p, rng);
    m->set_training(false);
    for (auto& [n, q] : m->named_parameters()) q->zero_grad();
    m->loss(b).backward();
    for (auto& [n, q] : m->named_parameters()) grads[i][n] = q->grad().clone();
  }
  for (const auto& entry : grads[0]) {
    const std::string& name = entry.first;  // not a structured binding: clang 14 cannot capture one in CAPTURE
    const auto& g = entry.second;
    if (name.rfind("generator.", 0) != 0) continue;
    CAPTURE(name);
    for (int64_t k = 0; k < g.numel(); ++k) CHECK(g.f32()[k] == doctest::Approx(grads[1][name].f32()[k]).epsilon(1e-4));
  }
  // The discriminator's head does depend on it.
  const nn::Tensor& a = grads[0]["disc_head.out.weight"], &c = grads[1]["disc_head.out.weight"];
  CHECK(a.f32()[0] == doctest::Approx(50 * c.f32()[0]).epsilon(1e-3));
}

TEST_CASE("electra: a step's samples are a function of the step - the step is kept") {
  nn::init_engine();
  auto m = tiny_electra(3);
  m->set_training(false);
  methods::Batch b = batch({{5, 6, 7, 8, 9, 10, 11, 12}, {13, 14, 15, 16, 17, 18, 19, 20}}, {8, 8},
                           {{0, 1}, {0, 3}, {0, 5}, {1, 0}, {1, 2}, {1, 4}, {1, 6}});
  const double first = m->loss(b).value().item();
  CHECK(m->loss(b).value().item() == first);
  // The step is kept with the model (a resumed run draws what an
  // uninterrupted one would).
  bool kept = false;
  for (const auto& idx : m->named_indices()) kept |= idx.name == "generator.step";
  CHECK(kept);
  m->after_step(0.1);
  for (const auto& idx : m->named_indices())
    if (idx.name == "generator.step") CHECK(*idx.value == 1);
}

TEST_CASE("electra: a few steps on a tiny corpus - both losses fall") {
  nn::init_engine();
  auto m = tiny_electra(5);
  m->set_training(true);
  const std::vector<std::vector<int32_t>> corpus = {
      {5, 9, 13, 17, 21, 6, 10, 14}, {7, 11, 15, 19, 23, 8, 12, 16}, {18, 22, 5, 7, 9, 11, 13, 15}, {20, 6, 8, 10, 12, 14, 16, 18}};
  nn::AdamW opt(nn::decay_groups(*m, 0.0), 2e-3);
  Rng rng(9);
  double gen_first = 0, disc_first = 0, gen_last = 0, disc_last = 0, acc_last = 0, replaced_last = 0;
  const int steps = 150, tail = 30;
  for (int s = 0; s < steps; ++s) {
    std::vector<std::pair<int, int>> masked;
    for (int r = 0; r < 4; ++r) masked.push_back({r, static_cast<int>(rng.below(8))});
    nn::Var l = m->loss(batch(corpus, {8, 8, 8, 8}, masked));
    opt.zero_grad();
    l.backward();
    opt.step();
    m->after_step(static_cast<double>(s + 1) / steps);
    if (s < tail) {
      gen_first += metric(*m, "gen_loss") / tail;
      disc_first += metric(*m, "disc_loss") / tail;
    }
    if (s >= steps - tail) {
      gen_last += metric(*m, "gen_loss") / tail;
      disc_last += metric(*m, "disc_loss") / tail;
      acc_last += metric(*m, "disc_accuracy") / tail;
      replaced_last += metric(*m, "replaced") / tail;
    }
  }
  CAPTURE(gen_first);
  CAPTURE(gen_last);
  CAPTURE(disc_first);
  CAPTURE(disc_last);
  CAPTURE(acc_last);
  CAPTURE(replaced_last);
  // Measured at 300 steps: the generator from 3.00 to 2.31 (log 24 is
  // 3.18), the detector from 0.368 to 0.333, about the entropy of its base
  // rate (11 % replaced): this short a run teaches the detector the rate,
  // not yet which tokens; the CLI test and the measurements in
  // docs/methods.md show the rest.
  CHECK(gen_last < gen_first - 0.3);
  CHECK(disc_last < disc_first);
  CHECK(acc_last >= 1 - replaced_last - 0.02);
}

TEST_CASE("electra: with a generator that stays untrained the detector learns to beat the base rate - rows of one repeated token") {
  nn::init_engine();
  auto m = tiny_electra(6);
  m->set_training(true);
  // Each row repeats one token: a token unlike its neighbours is a replacement.
  std::vector<std::vector<int32_t>> corpus;
  for (int32_t id = 5; id < 13; ++id) corpus.push_back(std::vector<int32_t>(8, id));
  // The generator is left untrained, and the token table it shares: it
  // would learn these rows in 25 steps and then replace nothing, and it is
  // the detector under test. Its samples stay near uniform, so about 12 %
  // of the tokens are replaced every step.
  nn::ParamGroup trained;
  for (auto& [name, q] : m->named_parameters())
    if (name.rfind("generator.", 0) != 0 && name != "text_encoder.tokens.table") trained.params.push_back(q);
  nn::AdamW opt({trained}, 2e-3);
  Rng rng(3);
  const int steps = 150, tail = 40;
  double acc = 0, replaced = 0, loss = 0;
  for (int s = 0; s < steps; ++s) {
    std::vector<std::pair<int, int>> masked;
    for (int r = 0; r < 8; ++r) masked.push_back({r, static_cast<int>(rng.below(8))});
    nn::Var l = m->loss(batch(corpus, std::vector<int32_t>(8, 8), masked));
    for (auto& [name, q] : m->named_parameters()) q->zero_grad();
    l.backward();
    opt.step();
    m->after_step(static_cast<double>(s + 1) / steps);
    if (s >= steps - tail) {
      acc += metric(*m, "disc_accuracy") / tail;
      replaced += metric(*m, "replaced") / tail;
      loss += metric(*m, "disc_loss") / tail;
    }
  }
  CAPTURE(acc);
  CAPTURE(replaced);
  CAPTURE(loss);
  // Calling every token original scores 1 - replaced, and the best constant
  // guess loses the entropy of the rate; misaligned targets or inputs could
  // do no better than that. Measured (this seed, 2 threads): accuracy
  // 0.926 against 0.880, loss 0.229 against the rate's 0.367; the
  // per-step spread of the accuracy, averaged over 40 steps, is about 0.005.
  REQUIRE(replaced > 0.05);
  CHECK(acc > 1 - replaced + 0.02);
  const double entropy = -(replaced * std::log(replaced) + (1 - replaced) * std::log(1 - replaced));
  CHECK(loss < 0.85 * entropy);
}
