// WordPiece as transformers' BertTokenizer (5.x, the tokenizers library's
// BertNormalizer, BertPreTokenizer and WordPiece model) splits text:
//   clean: drop U+0000, U+FFFD and "other" characters (Cc, Cf, Co, Cs; not
//     unassigned ones) except \t \n \r; White_Space becomes ' ';
//   CJK ideographs get a space on each side;
//   strip accents (NFD, drop Mn) when strip_accents, which defaults to
//     lower_case; then lower-case each character on its own (full mapping,
//     so no final-sigma rule: 'Σ' is always 'σ', as tokenizers does);
//   split at whitespace, and each punctuation character (ASCII 33-47, 58-64,
//     91-96, 123-126 and Unicode P*) is a word of its own;
//   each word: greedy longest match from the left, later pieces spelled
//     "##rest"; a word longer than 100 characters, or with a part no piece
//     matches, is one [UNK].
// The special tokens ([PAD] [UNK] [CLS] [SEP] [MASK]) spelled in the text are
// found before all that, as BertTokenizer finds its added tokens.
// Unicode data (categories, NFD, case mapping) comes from ICU.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sslkit::data {

struct WordPieceOptions {
  bool lower_case = true;                   // BertTokenizer's do_lower_case
  std::optional<bool> strip_accents;        // unset: as lower_case
  bool chinese_chars = true;                // tokenize_chinese_chars
  bool operator==(const WordPieceOptions&) const = default;
  bool strips_accents() const { return strip_accents.value_or(lower_case); }
};

class WordPiece {
 public:
  // The pieces of a vocab.txt (one a line, the line number is the id, as
  // transformers' load_vocab reads it: only the '\n' is cut). `subject`
  // names the file in errors. Error for an empty vocabulary or one without
  // [UNK].
  WordPiece(const std::string& vocab_text, WordPieceOptions options, const std::string& subject);

  std::vector<int32_t> encode(const std::string& text) const;
  // The words the pre-tokenizer makes of `text` (normalised), before pieces.
  std::vector<std::string> words(const std::string& text) const;

  int32_t size() const { return static_cast<int32_t>(pieces_.size()); }
  const std::string& piece(int32_t id) const { return pieces_.at(static_cast<size_t>(id)); }
  // The id of a piece, -1 when the vocabulary has none (a piece on several
  // lines has the id of its last, as load_vocab's dictionary keeps).
  int32_t id(const std::string& piece) const;
  const WordPieceOptions& options() const { return options_; }
  // The vocabulary as vocab.txt holds it (each piece and '\n').
  std::string vocab_text() const;

  static constexpr size_t kMaxWordChars = 100;

 private:
  void add_word_pieces(const std::u32string& word, std::vector<int32_t>& out) const;
  std::u32string normalize(const std::u32string& text) const;
  std::vector<std::string> pieces_;
  std::unordered_map<std::string, int32_t> ids_;
  WordPieceOptions options_;
  int32_t unk_ = -1;
  std::vector<std::pair<std::string, int32_t>> specials_;  // spelled in text: found before normalising
};

}  // namespace sslkit::data
