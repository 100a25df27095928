#include <doctest/doctest.h>

#include <cmath>

#include "mask/schemes.hpp"

using namespace sslkit;
using namespace sslkit::mask;

namespace {

// 100 ids: 0 pad, 1 unk, 2 [CLS], 3 [SEP], 4 [MASK] special; of the rest,
// every third id begins a word.
Vocabulary toy_vocab() {
  Vocabulary v;
  v.size = 100;
  v.mask_id = 4;
  v.special.assign(100, false);
  v.word_start.assign(100, false);
  for (int i = 0; i < 5; ++i) v.special[i] = true;
  for (int i = 5; i < 100; ++i) v.word_start[i] = i % 3 == 0;
  v.finish();
  return v;
}

// [CLS] body [SEP] pad...: `len` real tokens in `L`.
std::vector<int32_t> toy_tokens(int len, int L, Rng& rng) {
  std::vector<int32_t> t(L, 0);
  t[0] = 2;
  for (int i = 1; i < len - 1; ++i) t[i] = 5 + static_cast<int32_t>(rng.below(95));
  t[len - 1] = 3;
  return t;
}

}  // namespace

TEST_CASE("mlm: 15% of normal tokens selected - 80/10/10 - specials and padding never - labels exact") {
  Vocabulary v = toy_vocab();
  MlmParams p;
  Rng data(1);
  int64_t normal = 0, selected = 0, to_mask = 0, to_random = 0, kept = 0;
  for (int s = 0; s < 3000; ++s) {
    const int L = 64, len = 10 + static_cast<int>(data.below(50));
    auto t = toy_tokens(len, L, data);
    Rng rng(7, s + 1);
    MlmSample m = mask_mlm(t.data(), len, L, v, p, rng);
    REQUIRE(m.input_ids.size() == static_cast<size_t>(L));
    for (int i = 0; i < L; ++i) {
      if (v.special[t[i]]) {
        CHECK(m.mask[i] == 0);
        CHECK(m.input_ids[i] == t[i]);
        CHECK(m.labels[i] == -100);
        continue;
      }
      ++normal;
      if (!m.mask[i]) {
        CHECK(m.labels[i] == -100);
        CHECK(m.input_ids[i] == t[i]);
        continue;
      }
      ++selected;
      CHECK(m.labels[i] == t[i]);
      if (m.input_ids[i] == 4) ++to_mask;
      else if (m.input_ids[i] == t[i]) ++kept;
      else {
        ++to_random;
        CHECK_FALSE(v.special[m.input_ids[i]]);
      }
    }
  }
  // About 100k normal tokens: the selected fraction's std is about 0.0011;
  // a random draw equal to the original counts as kept (1/95 of 10 %).
  CHECK(std::abs(static_cast<double>(selected) / normal - 0.15) < 0.005);
  CHECK(std::abs(static_cast<double>(to_mask) / selected - 0.8) < 0.01);
  CHECK(std::abs(static_cast<double>(to_random) / selected - 0.1 * 94 / 95) < 0.01);
  CHECK(std::abs(static_cast<double>(kept) / selected - (0.1 + 0.1 / 95)) < 0.01);
}

TEST_CASE("mlm whole word: a word's pieces are selected together and all become [MASK]") {
  Vocabulary v = toy_vocab();
  MlmParams p;
  p.whole_word = true;
  Rng data(2);
  int64_t words = 0, selected_words = 0;
  for (int s = 0; s < 2000; ++s) {
    const int L = 48, len = 48;
    auto t = toy_tokens(len, L, data);
    Rng rng(3, s + 1);
    MlmSample m = mask_mlm(t.data(), len, L, v, p, rng);
    for (int i = 1; i < len - 1; ++i) {
      const bool starts = v.word_start[t[i]] || i == 1;
      if (starts) {
        ++words;
        selected_words += m.mask[i];
      } else {
        CHECK(m.mask[i] == m.mask[i - 1]);  // a continuation follows its word
      }
      if (m.mask[i]) CHECK(m.input_ids[i] == 4);
      CHECK(m.labels[i] == (m.mask[i] ? t[i] : -100));
    }
    CHECK(m.mask[0] == 0);
    CHECK(m.mask[len - 1] == 0);
  }
  CHECK(std::abs(static_cast<double>(selected_words) / words - 0.15) < 0.01);
}

TEST_CASE("patch: exactly int(L(1-ratio)) kept per sample - every position equally likely") {
  for (double ratio : {0.75, 0.5, 0.9}) {
    CAPTURE(ratio);
    const int L = 49, keep = static_cast<int>(L * (1 - ratio));
    std::vector<int> masked_at(L, 0);
    const int S = 20000;
    for (int s = 0; s < S; ++s) {
      Rng rng(11, s + 1);
      auto m = mask_patches(L, ratio, rng);
      int kept = 0;
      for (int i = 0; i < L; ++i) {
        kept += m[i] == 0;
        masked_at[i] += m[i];
      }
      REQUIRE(kept == keep);
    }
    // Each position is masked with probability (L - keep) / L; a chi-square
    // over the 49 positions (48 degrees of freedom: 99.9% quantile 84).
    const double pm = static_cast<double>(L - keep) / L;
    double chi2 = 0;
    for (int i = 0; i < L; ++i) {
      const double e = S * pm, e0 = S * (1 - pm);
      chi2 += std::pow(masked_at[i] - e, 2) / e + std::pow((S - masked_at[i]) - e0, 2) / e0;
    }
    CHECK(chi2 < 84);
  }
}

TEST_CASE("block: block shapes within BEiT's bounds - masked fraction near the target") {
  BlockParams p;  // 0.4, min 16 patches, aspect in [0.3, 1/0.3]
  for (int side : {14, 7}) {
    CAPTURE(side);
    const int L = side * side, target = static_cast<int>(std::lround(0.4 * L));
    double sum = 0;
    const int S = 2000;
    for (int s = 0; s < S; ++s) {
      Rng rng(5, s + 1);
      std::vector<Block> blocks;
      auto m = mask_blocks(side, side, p, rng, &blocks);
      int count = 0;
      for (auto x : m) count += x;
      // Never overshoots: a block goes down only if it adds no more than
      // the patches still wanted.
      CHECK(count <= target);
      sum += count;
      REQUIRE_FALSE(blocks.empty());
      for (const Block& b : blocks) {
        CHECK(b.h < side);
        CHECK(b.w < side);
        CHECK(b.top + b.h <= side);
        CHECK(b.left + b.w <= side);
        // h and w are sqrt(area * r) and sqrt(area / r) rounded: some area
        // in [min(16, wanted), max(16, wanted)] and some r in [0.3, 1/0.3]
        // round to them.
        const double r_lo = (b.h - 0.5) / (b.w + 0.5), r_hi = (b.h + 0.5) / std::max(0.5, b.w - 0.5);
        CHECK(r_hi >= 0.3);
        CHECK(r_lo <= 1 / 0.3);
        const double a_lo = std::max(0.0, (b.h - 0.5) * (b.w - 0.5)), a_hi = (b.h + 0.5) * (b.w + 0.5);
        CHECK(a_hi >= std::min(16, b.wanted));
        CHECK(a_lo <= std::max(16, b.wanted));
      }
    }
    CHECK(sum / S / L > 0.4 - 0.06);
  }
}

TEST_CASE("span: masked fraction matches the closed form - min masks - padding untouched") {
  SpanParams p;  // 0.065 starts per frame, spans of 10, at least 2
  const int frames = 250, valid = 200, S = 20000;
  double masked = 0;
  for (int s = 0; s < S; ++s) {
    Rng rng(9, s + 1);
    auto m = mask_spans(frames, valid, p, rng);
    for (int f = valid; f < frames; ++f) REQUIRE(m[f] == 0);
    for (int f = 0; f < valid; ++f) masked += m[f];
  }
  masked /= static_cast<double>(S) * valid;
  // n = int(p * valid + U) starts drawn without replacement from M = valid -
  // span positions; frame t stays unmasked iff none of the c_t starts that
  // cover it was drawn: C(M - c_t, n) / C(M, n).
  const int M = valid - p.span;
  const double x = p.mask_prob * valid;
  double expected = 0;
  for (int n : {static_cast<int>(std::floor(x)), static_cast<int>(std::floor(x)) + 1}) {
    const double pn = n == static_cast<int>(std::floor(x)) ? 1 - (x - std::floor(x)) : x - std::floor(x);
    double frac = 0;
    for (int t = 0; t < valid; ++t) {
      const int c = std::max(0, std::min(t, M - 1) - std::max(0, t - p.span + 1) + 1);
      double none = 1;
      for (int i = 0; i < n; ++i) none *= static_cast<double>(M - c - i) / (M - i);
      frac += 1 - none;
    }
    expected += pn * frac / valid;
  }
  CHECK(masked == doctest::Approx(expected).epsilon(0.01));
  // Roughly the paper's "about 49 %" for p = 0.065 and spans of 10.
  CHECK(masked > 0.4);
  CHECK(masked < 0.55);

  // With no starts drawn by probability, min_masks still places 2 spans.
  SpanParams none = p;
  none.mask_prob = 0;
  for (int s = 0; s < 200; ++s) {
    Rng rng(4, s + 1);
    auto m = mask_spans(100, 100, none, rng);
    int count = 0;
    for (auto v : m) count += v;
    CHECK(count >= 10);
    CHECK(count <= 20);
  }
}

TEST_CASE("the same generator state gives the same mask and another seed another") {
  Rng a(1, 5), b(1, 5), c(2, 5);
  CHECK(mask_patches(49, 0.75, a) == mask_patches(49, 0.75, b));
  Rng a2(1, 5);
  CHECK(mask_patches(49, 0.75, a2) != mask_patches(49, 0.75, c));
}
