// A SentencePiece tokenizer as text files in sslkit use it: trained in
// memory on the corpus being imported (or loaded from a .model file), with
// fixed special ids (pad 0, unk 1, [CLS] 2, [SEP] 3, [MASK] 4 when sslkit
// trains it), stored whole in a data file's /tokenizer dataset.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/data_file.hpp"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace sslkit::data {

// The longest text (one record) sslkit tokenizes: train() takes every text
// up to this whole (SentencePiece would otherwise skip, silently, those over
// its own max_sentence_length), and imports refuse longer records.
constexpr size_t kMaxTextBytes = size_t{1} << 20;

class Tokenizer {
 public:
  // Trains a unigram model on `texts`, all in memory, each at most
  // kMaxTextBytes (Error otherwise). `threads` is capped to what
  // SentencePiece accepts (1..128); `seed` fixes its sampling.
  static Tokenizer train(const std::vector<std::string>& texts, int vocab_size, int threads, uint64_t seed);
  // A serialized SentencePiece model; `subject` names its origin in errors.
  static Tokenizer from_bytes(const std::vector<uint8_t>& bytes, const std::string& subject = "tokenizer");
  // A .model file as spm_train writes it. It must define <pad>, <unk>,
  // [CLS], [SEP] and [MASK] (as user-defined or control pieces).
  static Tokenizer from_file(const std::string& path);
  // The /tokenizer dataset of a text data file.
  static Tokenizer read_from(const io::DataReader& in);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  std::vector<uint8_t> bytes() const;
  // Piece ids of `text`, without [CLS]/[SEP].
  std::vector<int32_t> encode(const std::string& text) const;
  // Text of `ids`; pad, [CLS] and [SEP] are skipped, [MASK] shows as itself.
  std::string decode(const std::vector<int32_t>& ids) const;

  int32_t pad_id() const { return pad_; }
  int32_t unk_id() const { return unk_; }
  int32_t cls_id() const { return cls_; }
  int32_t sep_id() const { return sep_; }
  int32_t mask_id() const { return mask_; }
  int32_t vocab_size() const;
  // The piece of an id as SentencePiece spells it ("\u2581the" begins a word).
  std::string piece(int32_t id) const;
  // Pieces that are not text: pad, unk, [CLS], [SEP], [MASK], and any
  // control, unknown or unused piece of the model.
  bool is_special(int32_t id) const;

  // Writes /tokenizer (the model bytes) with the special ids and the
  // vocabulary size as attributes.
  void write_to(io::DataWriter& out) const;

 private:
  Tokenizer();
  void find_specials(const std::string& subject);
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  int32_t pad_ = -1, unk_ = -1, cls_ = -1, sep_ = -1, mask_ = -1;
};

}  // namespace sslkit::data
