// Text files as an import source: one sample per line, or %-separated
// records like fortune files; tokenized with SentencePiece into padded
// [CLS] pieces [SEP] rows. With several files each file is a class.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "data/import.hpp"
#include "data/tokenizer.hpp"

namespace sslkit::data {

struct TextImportOptions {
  std::vector<std::string> files;   // "-" is stdin
  std::string records = "auto";     // line | percent | paragraph | auto (percent when a line is exactly "%", else line)
  bool unlabelled = false;          // files and directories as one unlabelled corpus, streamed (data/text_corpus)
  int vocab_size = 8000;            // when training the tokenizer
  std::string tokenizer_path;       // a .model file instead of training
  int max_len = 128;                // longest row of /tokens, [CLS] and [SEP] included (longer ones are cut)
};

// The --max-len a text file was imported with: the /tokens attribute
// max_len (rows may be shorter, padded only to the longest), or the row
// width of a file written before the attribute. Models take it as the
// longest sequence they serve, so files imported apart with one --max-len
// fit one model.
int64_t text_max_len(const io::DataReader& in);

// Splits one file's text into records. `mode` is line, percent or auto.
// A line is exactly "%" when it holds nothing else (a CR before the LF is
// ignored); records lose trailing whitespace and leading blank lines, and
// empty ones are dropped. Invalid UTF-8 is Error(subject, "invalid UTF-8 at
// line N").
std::vector<std::string> split_records(const std::string& text, const std::string& mode, const std::string& subject);

// 0 when `text` is valid UTF-8 (no overlong forms, surrogates or code points
// past U+10FFFF), else the 1-based line of the first bad byte.
size_t invalid_utf8_line(const std::string& text);

class TextSource : public ImportSource {
 public:
  // Reads every file and trains (or loads) the tokenizer. `import` supplies
  // the seed for training.
  TextSource(const TextImportOptions& opts, const ImportOptions& import);
  io::Modality modality() const override { return io::Modality::text; }
  std::string name() const override { return name_; }
  size_t size() const override { return records_.size(); }
  const std::vector<int32_t>& labels() const override { return labels_; }
  std::vector<std::string> class_names() const override { return class_names_; }
  void prepare(io::DataWriter& out) override;
  std::vector<bool> write_batch(io::DataWriter& out, const std::vector<size_t>& indices) override;

  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const std::string& record(size_t i) const { return records_[i]; }
  // Tokens per row of /tokens: --max-len, or less when every record is
  // shorter (the longest record's pieces, [CLS] and [SEP]); padding a file
  // of short lines to a large --max-len would be all padding.
  int64_t width();
  // The padded row of sample i (width() tokens) and its true length.
  std::vector<int32_t> row(size_t i, int32_t& length);

 private:
  TextImportOptions opts_;
  std::string name_;
  std::vector<std::string> records_;
  std::vector<int32_t> labels_;
  std::vector<std::string> class_names_;
  std::optional<Tokenizer> tokenizer_;  // set once the records are read
  // Every record's pieces, cut to --max-len - 2; encoded once, on first use.
  void encode_all();
  std::vector<std::vector<int32_t>> pieces_;
  bool encoded_ = false;
  int64_t width_ = 0;
};

}  // namespace sslkit::data
