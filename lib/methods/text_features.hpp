// What every text method shares around its text encoder: the sentence
// features the probes and ssl-embed read, and the masked positions a
// masked-LM head scores (mlm, and electra's generator).
#pragma once
#include <cstdint>
#include <vector>

#include "core/error.hpp"
#include "methods/method.hpp"
#include "models/text_encoder.hpp"
#include "nn/ops.hpp"

namespace sslkit::methods {

// Mean over the real tokens, or [CLS]; f32.
inline nn::Var text_sentence(const models::TextEncoder& text, const TokenBatch& t, bool cls) {
  return nn::cast(models::TextEncoder::pool(text.forward(t.ids, t.lengths, t.length, t.dtype), t.lengths, t.length, cls),
                  nn::DType::f32);
}

// BERT's pooler output (dense + tanh on [CLS]); f32. Only an encoder with a
// pooler (an imported BERT) has one.
inline nn::Var text_pooled_sentence(const models::TextEncoder& text, const TokenBatch& t) {
  if (!text.has_pooler()) throw UsageError("--pool pooler: the model's text encoder has no pooler (an imported BERT has one)");
  return nn::cast(text.pooled(text.forward(t.ids, t.lengths, t.length, t.dtype), t.lengths, t.length), nn::DType::f32);
}

// The selected positions (labels != -100) and their targets, padded to a
// multiple of kRowBucket with position 0 and target -100 (ignored by the
// loss). The head's shapes then take a few values instead of one per
// selected count: oneDNN builds and caches primitives per shape, and an
// unpadded run of 2300 steps grew to 4.4 GB of cached kernels.
struct MaskedPositions {
  static constexpr size_t kRowBucket = 64;
  std::vector<int32_t> at, targets;
  int64_t count = 0;

  static MaskedPositions of(const TokenBatch& t) {
    MaskedPositions s;
    for (size_t i = 0; i < t.labels.size(); ++i)
      if (t.labels[i] != -100) {
        s.at.push_back(static_cast<int32_t>(i));
        s.targets.push_back(t.labels[i]);
      }
    s.count = static_cast<int64_t>(s.at.size());
    const size_t padded = (s.at.size() + kRowBucket - 1) / kRowBucket * kRowBucket;
    s.at.resize(padded, 0);
    s.targets.resize(padded, -100);
    return s;
  }
};

}  // namespace sslkit::methods
