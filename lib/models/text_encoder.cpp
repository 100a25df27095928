#include "models/text_encoder.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "models/pooling.hpp"
#include "nn/ops.hpp"

namespace sslkit::models {

EncoderShape text_encoder_shape(const std::string& arch) {
  if (!is_text_arch(arch)) throw UsageError("--arch for text must be " + arch_names_for("text") + ", not '" + arch + "'");
  return parse_arch(arch);
}

namespace {
const EncoderShape& checked_text(const EncoderShape& s) {
  SSLKIT_CHECK(s.kind == EncoderKind::text, "a text encoder built from a " + kind_name(s.kind) + " shape");
  return s;
}
}  // namespace

TextEncoder::TextEncoder(const EncoderShape& shape, int64_t vocab, int64_t max_len, Rng& rng)
    : tokens(vocab, checked_text(shape).width, rng),
      shape_(shape),
      max_len_(max_len) {
  if (shape_.position == PositionKind::learned) positions = nn::Embedding(max_len, shape_.width, rng);
  // BERT initialises embeddings with std 0.02, not N(0, 1).
  for (nn::Embedding* e : {&tokens, &positions}) {
    if (!e->table.defined()) continue;
    float* w = e->table.value().f32();
    for (int64_t i = 0; i < e->table.value().numel(); ++i) w[i] *= 0.02f;
  }
  stack_ = TransformerStack(shape_, rng);
  // Drawn after everything a preset has, so presets initialise as before.
  if (shape_.token_types > 0) {
    token_types = nn::Embedding(shape_.token_types, shape_.width, rng);
    float* w = token_types.table.value().f32();
    for (int64_t i = 0; i < token_types.table.value().numel(); ++i) w[i] *= 0.02f;
  }
  if (shape_.pooler) pooler = nn::Linear(shape_.width, shape_.width, rng);
}

nn::Var TextEncoder::forward(const std::vector<int32_t>& ids, const std::vector<int32_t>& lengths,
                             int64_t length, nn::DType dtype, Rng* noise) const {
  const int64_t rows = static_cast<int64_t>(lengths.size()), D = shape_.width;
  SSLKIT_CHECK(static_cast<int64_t>(ids.size()) == rows * length, "token ids do not match rows x length");
  nn::Var e = nn::cast(embed(ids, rows, length), dtype);
  // Depth 0: the token vectors themselves, no layer norm either (a bag of
  // tokens; skip-gram's features probed 3 points better without it).
  if (shape_.depth == 0) return e;
  nn::Var x = nn::reshape(e, {rows, length, D});
  nn::Dropout drop;
  if (training() && noise) drop = {static_cast<float>(shape_.dropout), noise};
  return nn::reshape(stack_.forward(x, padding_mask(lengths, length), drop), {rows * length, D});
}
nn::Var TextEncoder::embed(const std::vector<int32_t>& ids, int64_t rows, int64_t length) const {
  if (length > max_len_)
    throw Error("", "sequences of " + std::to_string(length) + " tokens are longer than the encoder's " +
                        std::to_string(max_len_));
  nn::Var e = tokens.forward(ids);
  if (shape_.position == PositionKind::learned) {
    std::vector<int32_t> pos(ids.size());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < length; ++k) pos[r * length + k] = static_cast<int32_t>(k);
    e = nn::add(e, positions.forward(pos));
  }
  if (shape_.token_types > 0) e = nn::add(e, token_types.forward(std::vector<int32_t>(ids.size(), 0)));
  return e;
}

std::vector<uint8_t> TextEncoder::padding_mask(const std::vector<int32_t>& lengths, int64_t length) {
  std::vector<uint8_t> padding(lengths.size() * static_cast<size_t>(length), 0);
  for (size_t r = 0; r < lengths.size(); ++r)
    for (int64_t k = lengths[r]; k < length; ++k) padding[r * length + k] = 1;
  return padding;
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

nn::Var TextEncoder::pooled(const nn::Var& h, const std::vector<int32_t>& lengths, int64_t length) const {
  SSLKIT_CHECK(shape_.pooler, "the pooler of a text encoder without one");
  return nn::tanh(pooler.forward(pool(h, lengths, length, /*cls=*/true)));
}

void TextEncoder::visit(nn::ModuleVisitor& v) {
  v.module("tokens", tokens);
  if (shape_.position == PositionKind::learned) v.module("positions", positions);
  if (shape_.token_types > 0) v.module("token_types", token_types);
  if (shape_.depth > 0) stack_.visit(v);
  if (shape_.pooler) v.module("pooler", pooler);
}

}  // namespace sslkit::models
