// Skip-gram: its pairs (windows, negatives, subsampling) drawn from the
// seed alone, its loss and gradients on a batch, and its features the mean
// of the token vectors as ssl-embed reads them.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "methods/registry.hpp"
#include "methods/skipgram_pairs.hpp"
#include "nn/engine.hpp"
#include "nn/ops.hpp"
#include "nn/optim.hpp"

using namespace sslkit;

namespace {

constexpr int32_t kVocab = 40;
constexpr int64_t kLength = 12;

methods::MethodParams params() {
  methods::MethodParams p;
  p.arch = "bert-tiny:depth=0,position=none";
  p.vocab_size = kVocab;
  p.max_len = kLength;
  // A batch of 20 tokens makes every token frequent: keep them all.
  p.own["subsample"] = 0.0;
  return p;
}

// Three rows of ids 10..39 (the low ids, like [PAD] and [MASK], never
// appear), 12, 7 and 1 real tokens, padding 0 after them; no MLM labels.
methods::Batch batch() {
  methods::Batch b;
  auto& t = b.tokens;
  t.rows = 3;
  t.length = kLength;
  const std::vector<int32_t> lengths{12, 7, 1};
  for (int r = 0; r < 3; ++r) {
    for (int k = 0; k < kLength; ++k) t.ids.push_back(k < lengths[r] ? 10 + (r * 7 + k * 2) % 30 : 0);
    t.lengths.push_back(lengths[r]);
  }
  t.labels.assign(t.ids.size(), -100);
  return b;
}

}  // namespace

TEST_CASE("skipgram pairs: windows within the row and the drawn width - negatives never the context - from the seed") {
  const methods::Batch b = batch();
  const auto& t = b.tokens;
  std::vector<float> counts(kVocab, 0.f);
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < t.lengths[r]; ++k) counts[t.ids[r * kLength + k]] += 1;
  methods::SkipgramSampling s{.window = 2, .negatives = 3, .subsample = 0};
  Rng rng(7);
  const methods::SkipgramPairs p = methods::draw_pairs(t.ids, t.lengths, t.length, counts, s, rng);
  REQUIRE(p.size() > 0);
  CHECK(p.kept_tokens == 20);  // subsample 0 keeps every real token
  CHECK(p.targets.size() == p.centers.size() * 4);
  // Every pair is two tokens of one row at most 2 apart: a centre at
  // position i of row 0 (ids distinct within it) has its context in i-2..i+2.
  std::set<int32_t> row0(t.ids.begin(), t.ids.begin() + 12), seen_negatives;
  for (int64_t i = 0; i < p.size(); ++i) {
    const int32_t c = p.centers[i], ctx = p.targets[i * 4];
    CHECK(c != 0);
    if (row0.count(c)) {
      const auto pos = [&](int32_t id) { return std::find(t.ids.begin(), t.ids.begin() + 12, id) - t.ids.begin(); };
      CHECK(row0.count(ctx) == 1);
      CHECK(std::abs(pos(c) - pos(ctx)) <= 2);
      CHECK(pos(c) != pos(ctx));
    }
    for (int k = 1; k < 4; ++k) {
      const int32_t n = p.targets[i * 4 + k];
      CHECK(n != ctx);
      CHECK(counts[n] > 0);  // only tokens seen are negatives
      seen_negatives.insert(n);
    }
  }
  CHECK(seen_negatives.size() > 5);
  // The same seed gives the same pairs, another seed others.
  Rng again(7), other(8);
  const auto p2 = methods::draw_pairs(t.ids, t.lengths, t.length, counts, s, again);
  const auto p3 = methods::draw_pairs(t.ids, t.lengths, t.length, counts, s, other);
  CHECK(p2.centers == p.centers);
  CHECK(p2.targets == p.targets);
  CHECK(p3.targets != p.targets);
}

TEST_CASE("skipgram pairs: each token's window is drawn uniformly from 1 to the window") {
  // One row of 40 distinct tokens, window 5: a centre far from the ends has
  // 2b neighbours, b uniform in 1..5, so 2, 4, ..., 10 pairs equally often.
  std::vector<int32_t> ids;
  for (int k = 0; k < 40; ++k) ids.push_back(k);
  std::vector<float> counts(40, 1.f);
  methods::SkipgramSampling s{.window = 5, .negatives = 1, .subsample = 0};
  std::vector<int> widths(6, 0);
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    const auto p = methods::draw_pairs(ids, {40}, 40, counts, s, rng);
    int n = 0;
    for (int32_t c : p.centers) n += c == 20;
    REQUIRE(n % 2 == 0);
    REQUIRE(n >= 2);
    REQUIRE(n <= 10);
    ++widths[n / 2];
  }
  for (int b = 1; b <= 5; ++b) {
    CAPTURE(b);
    CHECK(widths[b] > 20);  // 40 expected of 200
    CHECK(widths[b] < 60);
  }
}

TEST_CASE("skipgram pairs: subsampling keeps a frequent token at sqrt(t/f) + t/f and a rare one always") {
  // Token 1 is 90% of the counts, token 2 a thousandth.
  std::vector<float> counts{0, 900, 1, 99};
  std::vector<int32_t> ids(1000, 1);
  for (int k = 0; k < 1000; k += 2) ids[k] = 2;
  methods::SkipgramSampling s{.window = 1, .negatives = 1, .subsample = 1e-3};
  Rng rng(3);
  const auto p = methods::draw_pairs(ids, {1000}, 1000, counts, s, rng);
  const double f = 0.9, q = 1e-3 / f, keep = std::sqrt(q) + q;  // 0.034
  // 500 of token 2 kept (f = 0.001: sqrt(1) + 1 > 1), about 17 of token 1.
  CHECK(p.kept_tokens >= 500 + 5);
  CHECK(p.kept_tokens <= 500 + static_cast<int64_t>(500 * keep * 2.5));
}

TEST_CASE("skipgram: one step lowers the loss - gradients touch only the rows the batch used") {
  nn::init_engine();
  Rng rng(1);
  auto m = methods::make_method("skipgram", params(), rng);
  const methods::Batch b = batch();
  nn::Var loss = m->loss(b);
  // Output vectors start at 0: every score 0, (1 + 5) log 2 a pair.
  CHECK(loss.value().item() == doctest::Approx(6 * std::log(2.0)).epsilon(1e-5));
  nn::AdamW opt(nn::decay_groups(*m, 0.0), 1e-2);
  opt.zero_grad();
  loss.backward();
  std::set<int32_t> used;
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < b.tokens.lengths[r]; ++k) used.insert(b.tokens.ids[r * kLength + k]);
  for (auto& kv : m->named_parameters()) {  // no structured binding: clang 14 cannot capture one in CAPTURE/INFO
    auto& name = kv.first;
    auto& p = kv.second;
    if (name != "text_encoder.tokens.table" && name != "output_vectors") continue;
    CAPTURE(name);
    REQUIRE(p->grad().defined());
    const auto g = p->grad().to_vector();
    const int64_t D = p->value().dim(1);
    for (int32_t v = 0; v < kVocab; ++v) {
      double norm = 0;
      for (int64_t d = 0; d < D; ++d) norm += std::fabs(g[v * D + d]);
      CAPTURE(v);
      if (!used.count(v)) CHECK(norm == 0);
    }
  }
  opt.step();
  // The same batch draws the same pairs: the loss differs by the step alone.
  CHECK(m->loss(b).value().item() < loss.value().item());
}

TEST_CASE("skipgram: the draws follow the seed - MLM-masked batches read as the original tokens") {
  nn::init_engine();
  auto loss_of = [](uint64_t seed, const methods::Batch& b) {
    Rng rng(seed);
    auto m = methods::make_method("skipgram", params(), rng);
    // A second batch so the output vectors are no longer 0 (the first loss
    // is (1 + K) log 2 whatever was drawn).
    nn::AdamW opt(nn::decay_groups(*m, 0.0), 1e-1);
    nn::Var l = m->loss(b);
    opt.zero_grad();
    l.backward();
    opt.step();
    return m->loss(b).value().item();
  };
  const methods::Batch b = batch();
  CHECK(loss_of(1, b) == loss_of(1, b));
  CHECK(loss_of(1, b) != loss_of(2, b));
  // Masked as MLM batches come: [MASK] (4) in ids, the original in labels.
  methods::Batch masked = b;
  for (int k : {0, 3, 13}) {
    masked.tokens.labels[k] = masked.tokens.ids[k];
    masked.tokens.ids[k] = 4;
  }
  CHECK(loss_of(1, masked) == loss_of(1, b));
}

TEST_CASE("skipgram: features are the mean over real tokens of the token vectors") {
  nn::init_engine();
  Rng rng(1);
  auto m = methods::make_method("skipgram", params(), rng);
  const methods::Batch b = batch();
  nn::NoGrad ng;
  const nn::Tensor f = m->sentence(b.tokens, false).value();
  REQUIRE(f.shape() == nn::Shape{3, 128});
  const nn::Tensor* table = nullptr;
  for (auto& [name, p] : m->named_parameters())
    if (name == "text_encoder.tokens.table") table = &p->value();
  REQUIRE(table);
  for (int r = 0; r < 3; ++r) {
    std::vector<double> want(128, 0.0);
    for (int k = 0; k < b.tokens.lengths[r]; ++k) {
      const float* v = table->f32() + b.tokens.ids[r * kLength + k] * 128;
      for (int d = 0; d < 128; ++d) want[d] += v[d] / b.tokens.lengths[r];
    }
    // Token vectors start within +-1/128: compared at that scale.
    for (int d = 0; d < 128; ++d) CHECK(f.f32()[r * 128 + d] * 128 == doctest::Approx(want[d] * 128).epsilon(1e-4));
  }
}

TEST_CASE("skipgram refuses an encoder with blocks or positions: it trains token vectors only") {
  for (const char* arch : {"bert-tiny", "bert-tiny:depth=0", "bert-tiny:position=none"}) {
    CAPTURE(arch);
    methods::MethodParams p = params();
    p.arch = arch;
    Rng rng(1);
    CHECK_THROWS_AS(methods::make_method("skipgram", p, rng), UsageError);
  }
}
