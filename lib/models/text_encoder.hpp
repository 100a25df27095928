// BERT-style text encoders: token embeddings plus learned position
// embeddings and transformer blocks whose attention ignores padding, of the
// shape's width, depth, heads, MLP and epsilon. The presets are pre-LN with a
// final layernorm: it trains stably at the small batches and short warmups
// of a 2-core machine (docs/methods.md); norm=post gives BERT's arrangement
// (a layernorm on the embeddings, post-LN blocks). A shape with token_types
// adds row 0 of that table to every token (BERT's segment A: sslkit's texts
// are one segment) and keeps the whole table; one with a pooler has BERT's
// dense + tanh on the first token (pooled()).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/encoder_shape.hpp"
#include "models/transformer_stack.hpp"
#include "nn/layers_transformer.hpp"

namespace sslkit::models {

using TextEncoderShape = EncoderShape;
// The shape of a text --arch (bert-tiny, bert-mini, with or without keys);
// UsageError for another.
EncoderShape text_encoder_shape(const std::string& arch);
// The most positions a text encoder learns (16 times BERT's 512): rows
// longer than this are not what a BERT-style encoder with full attention
// can train on.
constexpr int64_t kMaxTextPositions = 8192;
// True for an --arch whose preset is a text encoder (bert-*).
inline bool is_text_arch(const std::string& arch) { return arch.rfind("bert-", 0) == 0; }

class TextEncoder : public nn::ModuleImpl<TextEncoder> {
 public:
  // A shape of kind text.
  TextEncoder(const EncoderShape& shape, int64_t vocab, int64_t max_len, Rng& rng);
  // ids [rows, length] row-major, `lengths` real tokens per row (the rest is
  // padding): hidden states [rows * length, width], one row per token, in
  // `dtype` (the embeddings are cast to it; the tables stay f32 masters).
  // In training, a shape with dropout draws its masks from `noise` (none
  // without one: the same forward as inference).
  nn::Var forward(const std::vector<int32_t>& ids, const std::vector<int32_t>& lengths, int64_t length,
                  nn::DType dtype = nn::DType::f32, Rng* noise = nullptr) const;
  // The embeddings the blocks read, [rows * length, width] f32: token plus
  // position (plus segment A) rows. Public because ELECTRA's generator reads
  // the same tables (its embeddings are the discriminator's).
  nn::Var embed(const std::vector<int32_t>& ids, int64_t rows, int64_t length) const;
  // 1 at each padded position of rows [lengths.size(), length], row-major:
  // the key mask attention takes.
  static std::vector<uint8_t> padding_mask(const std::vector<int32_t>& lengths, int64_t length);
  // Sentence vectors [rows, width] from hidden states h [rows * length,
  // width]: the mean over each row's real tokens (at least its first), or
  // its first token ([CLS]) when `cls`.
  static nn::Var pool(const nn::Var& h, const std::vector<int32_t>& lengths, int64_t length, bool cls);
  // BERT's pooler output [rows, width]: tanh(dense(first token)); only for
  // a shape with a pooler.
  nn::Var pooled(const nn::Var& h, const std::vector<int32_t>& lengths, int64_t length) const;
  bool has_pooler() const { return shape_.pooler; }
  void visit(nn::ModuleVisitor& v) override;
  int64_t width() const { return shape_.width; }
  const EncoderShape& shape() const { return shape_; }
  int64_t max_len() const { return max_len_; }
  nn::Embedding tokens, positions;
  nn::Embedding token_types;  // shape.token_types rows, or none
  nn::Linear pooler;          // when shape.pooler

 private:
  EncoderShape shape_;
  int64_t max_len_;
  TransformerStack stack_;
};

}  // namespace sslkit::models
