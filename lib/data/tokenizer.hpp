// The tokenizer of a text file, of one of two kinds, switched here and
// nowhere else:
// - SentencePiece: trained in memory on the corpus being imported (or loaded
//   from a .model file), with fixed special ids (pad 0, unk 1, [CLS] 2,
//   [SEP] 3, [MASK] 4 when sslkit trains it);
// - WordPiece (BERT's, data/wordpiece.hpp): a vocab.txt with the flags of
//   its tokenizer_config.json, or a tokenizer.json; special pieces [PAD]
//   [UNK] [CLS] [SEP] [MASK] from the vocabulary.
// Either is stored whole in a data file's /tokenizer dataset and a model
// file's /tokenizer, as bytes that say their kind (bytes()).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/wordpiece.hpp"
#include "io/data_file.hpp"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace sslkit::data {

// The longest text (one record) sslkit tokenizes: train() takes every text
// up to this whole (SentencePiece would otherwise skip, silently, those over
// its own max_sentence_length), and imports refuse longer records.
constexpr size_t kMaxTextBytes = size_t{1} << 20;

enum class TokenizerKind { sentencepiece, wordpiece };
// "sentencepiece" or "wordpiece", as the /tokenizer attribute `kind` spells it.
std::string kind_name(TokenizerKind k);

class Tokenizer {
 public:
  // Trains a unigram model on `texts`, all in memory, each at most
  // kMaxTextBytes (Error otherwise). `threads` is capped to what
  // SentencePiece accepts (1..128); `seed` fixes its sampling.
  static Tokenizer train(const std::vector<std::string>& texts, int vocab_size, int threads, uint64_t seed);
  // A WordPiece vocabulary (vocab.txt's text) with BertTokenizer's flags.
  static Tokenizer wordpiece(const std::string& vocab_text, const WordPieceOptions& options,
                             const std::string& subject);
  // What bytes() gave: a serialized SentencePiece model, or sslkit's
  // WordPiece bytes; `subject` names its origin in errors.
  static Tokenizer from_bytes(const std::vector<uint8_t>& bytes, const std::string& subject = "tokenizer");
  // By the file's name: NAME.txt is a WordPiece vocab.txt (flags from the
  // tokenizer_config.json beside it, else BertTokenizer's defaults),
  // NAME.json a tokenizer.json of a BERT WordPiece tokenizer, anything else
  // a SentencePiece .model as spm_train writes it, which must define <pad>,
  // <unk>, [CLS], [SEP] and [MASK] (as user-defined or control pieces).
  // An HDF5 file is an sslkit text data file or text model file, whose
  // /tokenizer is taken (so a labelled task shares a corpus's vocabulary).
  static Tokenizer from_file(const std::string& path);
  // The /tokenizer dataset of a text data file.
  static Tokenizer read_from(const io::DataReader& in);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  TokenizerKind kind() const { return wp_ ? TokenizerKind::wordpiece : TokenizerKind::sentencepiece; }
  // The WordPiece vocabulary and flags; nullptr for SentencePiece.
  const WordPiece* wordpiece() const { return wp_.get(); }
  // SentencePiece: the serialized model. WordPiece: one JSON line with the
  // kind and flags ({"kind":"wordpiece","do_lower_case":...}), then the
  // vocabulary as vocab.txt holds it.
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
  // The piece of an id as the tokenizer spells it (SentencePiece's
  // "\u2581the" begins a word, WordPiece's "##s" continues one).
  std::string piece(int32_t id) const;
  // Whether a piece begins a word (a masking unit of whole-word MLM).
  bool starts_word(int32_t id) const;
  // Pieces that are not text: pad, unk, [CLS], [SEP], [MASK], and any
  // control, unknown or unused piece of the model (WordPiece: [unused0] and
  // the like, any piece in brackets).
  bool is_special(int32_t id) const;

  // Writes /tokenizer (bytes()) with the kind, the special ids and the
  // vocabulary size as attributes (and WordPiece's flags: do_lower_case,
  // strip_accents, tokenize_chinese_chars, each 0 or 1).
  void write_to(io::DataWriter& out) const;

 private:
  Tokenizer();
  void find_specials(const std::string& subject);
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;  // one of these two
  std::unique_ptr<WordPiece> wp_;
  int32_t pad_ = -1, unk_ = -1, cls_ = -1, sep_ = -1, mask_ = -1;
};

}  // namespace sslkit::data
