#include "mask/schemes.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace sslkit::mask {

Vocabulary vocabulary_of(const data::Tokenizer& tok, const std::string& subject) {
  Vocabulary v;
  v.size = tok.vocab_size();
  v.mask_id = tok.mask_id();
  if (v.mask_id < 0) throw Error(subject, "its tokenizer has no [MASK] piece");
  v.special.resize(v.size);
  v.word_start.resize(v.size);
  for (int32_t id = 0; id < v.size; ++id) {
    v.special[id] = tok.is_special(id);
    v.word_start[id] = tok.starts_word(id);
  }
  v.finish();
  return v;
}

void Vocabulary::finish() {
  normal.clear();
  for (int32_t id = 0; id < size; ++id)
    if (!special[id]) normal.push_back(id);
}

MlmSample mask_mlm(const int32_t* tokens, int length, int padded_length, const Vocabulary& v, const MlmParams& p,
                   Rng& rng) {
  MlmSample s;
  s.input_ids.assign(tokens, tokens + padded_length);
  s.labels.assign(padded_length, -100);
  s.mask.assign(padded_length, 0);
  auto special = [&](int32_t id) { return id < 0 || id >= v.size || v.special[id]; };
  if (p.whole_word) {
    // A word is a word-start piece and the continuation pieces after it;
    // each word is selected with probability `ratio`, and all its pieces
    // become [MASK] (Hugging Face forces mask_replace to 1 here).
    bool selected = false;
    for (int i = 0; i < length; ++i) {
      const int32_t id = tokens[i];
      if (special(id)) {
        selected = false;
        continue;
      }
      const bool starts = v.word_start[id] || i == 0 || special(tokens[i - 1]);
      if (starts) selected = rng.bernoulli(p.ratio);
      if (selected) {
        s.mask[i] = 1;
        s.labels[i] = id;
        s.input_ids[i] = v.mask_id;
      }
    }
    return s;
  }
  // Token level, as DataCollatorForLanguageModeling: select with `ratio`;
  // of the selected, [MASK] with mask_replace, then a random normal token
  // with random_replace / (1 - mask_replace) of the rest, else unchanged.
  const double random_given_not_masked = p.mask_replace < 1 ? p.random_replace / (1 - p.mask_replace) : 0;
  for (int i = 0; i < length; ++i) {
    const int32_t id = tokens[i];
    if (special(id) || !rng.bernoulli(p.ratio)) continue;
    s.mask[i] = 1;
    s.labels[i] = id;
    if (rng.bernoulli(p.mask_replace)) s.input_ids[i] = v.mask_id;
    else if (rng.bernoulli(random_given_not_masked) && !v.normal.empty())
      s.input_ids[i] = v.normal[rng.below(v.normal.size())];
  }
  return s;
}

std::vector<uint8_t> mask_patches(int L, double ratio, Rng& rng) {
  const int keep = static_cast<int>(L * (1.0 - ratio));  // Python's int(): truncation, as MAE's len_keep
  std::vector<int> order(L);
  std::iota(order.begin(), order.end(), 0);
  rng.shuffle(order);
  std::vector<uint8_t> m(L, 1);
  for (int i = 0; i < std::max(0, keep); ++i) m[order[i]] = 0;
  return m;
}

std::vector<uint8_t> mask_blocks(int gh, int gw, const BlockParams& p, Rng& rng, std::vector<Block>* placed) {
  std::vector<uint8_t> m(static_cast<size_t>(gh) * gw, 0);
  const int target = static_cast<int>(std::lround(p.ratio * gh * gw));
  const double log_lo = std::log(p.min_aspect), log_hi = std::log(1.0 / p.min_aspect);
  int count = 0;
  while (count < target) {
    const int max_patches = target - count;
    // BEiT's _mask: up to 10 tries for a block that adds something.
    int delta = 0;
    for (int attempt = 0; attempt < 10 && delta == 0; ++attempt) {
      const double area = rng.uniform(p.min_patches, max_patches);
      const double aspect = std::exp(rng.uniform(log_lo, log_hi));
      const int h = static_cast<int>(std::lround(std::sqrt(area * aspect)));
      const int w = static_cast<int>(std::lround(std::sqrt(area / aspect)));
      if (w >= gw || h >= gh) continue;
      const int top = static_cast<int>(rng.below(gh - h + 1)), left = static_cast<int>(rng.below(gw - w + 1));
      int already = 0;
      for (int i = top; i < top + h; ++i)
        for (int j = left; j < left + w; ++j) already += m[i * gw + j];
      const int fresh = h * w - already;
      if (fresh > 0 && fresh <= max_patches && placed) placed->push_back({top, left, h, w, max_patches});
      if (fresh > 0 && fresh <= max_patches)
        for (int i = top; i < top + h; ++i)
          for (int j = left; j < left + w; ++j)
            if (!m[i * gw + j]) {
              m[i * gw + j] = 1;
              ++delta;
            }
    }
    if (delta == 0) break;
    count += delta;
  }
  return m;
}

std::vector<uint8_t> mask_spans(int frames, int valid, const SpanParams& p, Rng& rng) {
  std::vector<uint8_t> m(frames, 0);
  valid = std::min(valid, frames);
  if (valid <= 1) return m;
  int num = static_cast<int>(p.mask_prob * valid + rng.uniform());
  num = std::max(p.min_masks, num);
  num = std::min(num, valid - 1);
  // fairseq: starts drawn without replacement from [0, valid - span); when
  // that range is too short for `num` starts it is widened to valid - num - 1.
  int min_len = p.span;
  if (valid - min_len <= num) min_len = valid - num - 1;
  const int candidates = valid - min_len;
  std::vector<int> starts(candidates);
  std::iota(starts.begin(), starts.end(), 0);
  for (int i = 0; i < num; ++i) std::swap(starts[i], starts[i + rng.below(candidates - i)]);
  for (int i = 0; i < num; ++i)
    for (int k = 0; k < p.span && starts[i] + k < valid; ++k) m[starts[i] + k] = 1;
  return m;
}

int span_frames(int samples, int frame_samples) {
  const int field = frame_samples + frame_samples / 4;
  return samples < field ? 0 : (samples - field) / frame_samples + 1;
}

}  // namespace sslkit::mask
