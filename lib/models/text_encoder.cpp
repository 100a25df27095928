#include "models/text_encoder.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "models/pooling.hpp"
#include "nn/ops.hpp"

namespace sslkit::models {

TextEncoderShape text_encoder_shape(const std::string& arch) {
  if (arch == "bert-tiny") return {128, 2, 2, 4};
  if (arch == "bert-mini") return {256, 4, 4, 4};
  throw UsageError("--arch for text must be bert-tiny or bert-mini, not '" + arch + "'");
}

TextEncoder::TextEncoder(const std::string& arch, int64_t vocab, int64_t max_len, Rng& rng)
    : tokens(vocab, text_encoder_shape(arch).width, rng),
      positions(max_len, text_encoder_shape(arch).width, rng),
      shape_(text_encoder_shape(arch)),
      max_len_(max_len),
      final_(shape_.width) {
  // BERT initialises embeddings with std 0.02, not N(0, 1).
  for (nn::Embedding* e : {&tokens, &positions}) {
    float* w = e->table.value().f32();
    for (int64_t i = 0; i < e->table.value().numel(); ++i) w[i] *= 0.02f;
  }
  for (int64_t i = 0; i < shape_.depth; ++i) blocks_.emplace_back(shape_.width, shape_.heads, rng, shape_.mlp);
}

nn::Var TextEncoder::forward(const std::vector<int32_t>& ids, const std::vector<int32_t>& lengths,
                             int64_t length, nn::DType dtype) const {
  const int64_t rows = static_cast<int64_t>(lengths.size()), D = shape_.width;
  SSLKIT_CHECK(static_cast<int64_t>(ids.size()) == rows * length, "token ids do not match rows x length");
  if (length > max_len_)
    throw Error("", "sequences of " + std::to_string(length) + " tokens are longer than the encoder's " +
                        std::to_string(max_len_));
  std::vector<int32_t> pos(ids.size());
  std::vector<uint8_t> padding(ids.size(), 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < length; ++k) {
      pos[r * length + k] = static_cast<int32_t>(k);
      padding[r * length + k] = k >= lengths[r];
    }
  nn::Var x = nn::reshape(nn::cast(nn::add(tokens.forward(ids), positions.forward(pos)), dtype), {rows, length, D});
  for (const auto& b : blocks_) x = b.forward(x, padding);
  return final_.forward(nn::reshape(x, {rows * length, D}));
}

nn::Var TextEncoder::pool(const nn::Var& h, const std::vector<int32_t>& lengths, int64_t length, bool cls) {
  const int64_t rows = static_cast<int64_t>(lengths.size());
  if (cls) {
    std::vector<int32_t> first;
    for (int64_t r = 0; r < rows; ++r) first.push_back(static_cast<int32_t>(r * length));
    return nn::embedding(h, first);
  }
  return sequence_mean(h, lengths, length);
}

void TextEncoder::visit(nn::ModuleVisitor& v) {
  v.module("tokens", tokens);
  v.module("positions", positions);
  for (size_t i = 0; i < blocks_.size(); ++i) v.module("block" + std::to_string(i), blocks_[i]);
  v.module("norm", final_);
}

}  // namespace sslkit::models
