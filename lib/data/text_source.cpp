#include "data/text_source.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/threads.hpp"
#include "data/text_records.hpp"
#include "io/files.hpp"

namespace sslkit::data {

namespace {

std::string read_whole(const std::string& path) {
  if (path == "-") {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (std::cin.bad()) throw Error("stdin", "read failed");
    return text;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(path, "is a directory, not a text file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(path, "read failed");
  return text;
}

// The file's lines without their terminators (LF or CRLF); a final line
// without LF counts, an empty tail after the last LF does not.
std::vector<std::string_view> lines_of(const std::string& text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  // A UTF-8 byte order mark is an encoding detail, not text.
  if (text.rfind("\xef\xbb\xbf", 0) == 0) start = 3;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

}  // namespace

size_t invalid_utf8_line(const std::string& text) {
  size_t line = 1;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    if (c < 0x80) {
      if (c == '\n') ++line;
      ++i;
      continue;
    }
    // The well-formed sequences of Unicode 15, table 3-7: the second byte's
    // range depends on the first, which rules out overlong forms,
    // surrogates and code points past U+10FFFF.
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c == 0xe0) { len = 3; lo = 0xa0; }
    else if (c == 0xed) { len = 3; hi = 0x9f; }
    else if (c >= 0xe1 && c <= 0xef) len = 3;
    else if (c == 0xf0) { len = 4; lo = 0x90; }
    else if (c == 0xf4) { len = 4; hi = 0x8f; }
    else if (c >= 0xf1 && c <= 0xf3) len = 4;
    else return line;
    if (i + len > n) return line;
    if (p[i + 1] < lo || p[i + 1] > hi) return line;
    for (size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xbf) return line;
    i += len;
  }
  return 0;
}

// A record is cut to --max-len tokens anyway; one longer than this is not
// text a tokenizer should train on (SentencePiece takes gigabytes on it).
constexpr size_t kMaxRecordBytes = kMaxTextBytes;

static void check_record_lengths(const std::vector<std::string>& records, const std::string& subject) {
  for (size_t i = 0; i < records.size(); ++i)
    if (records[i].size() > kMaxRecordBytes)
      throw Error(subject, "record " + std::to_string(i + 1) + " is " + std::to_string(records[i].size() >> 10) +
                               " KiB, longer than the 1 MiB limit of one record (split it into lines or records)");
}

std::vector<std::string> split_records(const std::string& text, const std::string& mode, const std::string& subject) {
  if (mode != "line" && mode != "percent" && mode != "paragraph" && mode != "auto")
    throw UsageError("--records must be line, percent, paragraph or auto, not '" + mode + "'");
  if (size_t bad = invalid_utf8_line(text)) throw Error(subject, "invalid UTF-8 at line " + std::to_string(bad));
  auto lines = lines_of(text);
  std::string resolved = mode;
  if (mode == "auto")
    resolved = std::any_of(lines.begin(), lines.end(), [](std::string_view l) { return l == "%"; }) ? "percent"
                                                                                                    : "line";
  std::vector<std::string> records;
  RecordSplitter split(resolved, [&](std::string& r) { records.push_back(std::move(r)); });
  for (auto l : lines) split.line(l);
  split.finish();
  check_record_lengths(records, subject);
  return records;
}

TextSource::TextSource(const TextImportOptions& opts, const ImportOptions& import)
    : opts_(opts) {
  if (opts.files.empty()) throw UsageError("text: no input files");
  if (opts.max_len < 2) throw UsageError("--max-len must be at least 2 ([CLS] and [SEP])");
  if (opts.records != "line" && opts.records != "percent" && opts.records != "paragraph" && opts.records != "auto")
    throw UsageError("--records must be line, percent, paragraph or auto, not '" + opts.records + "'");
  for (size_t i = 0; i < opts.files.size(); ++i) name_ += (i ? ", " : "") + io::display_name(opts.files[i]);

  const bool labeled = opts.files.size() > 1;
  std::set<std::string> seen;
  for (size_t f = 0; f < opts.files.size(); ++f) {
    const std::string& path = opts.files[f];
    const std::string shown = io::display_name(path);
    if (labeled) {
      std::string cls = path == "-" ? "stdin" : std::filesystem::path(path).filename().string();
      // Two classes with one name could never be told apart downstream.
      if (!seen.insert(cls).second)
        throw UsageError("two input files are named '" + cls + "'; each file is a class and needs its own name");
      class_names_.push_back(cls);
    }
    auto recs = split_records(read_whole(path), opts.records, shown);
    if (recs.empty() && labeled) warn(shown + ": no records; class '" + class_names_.back() + "' has no samples");
    for (auto& r : recs) {
      records_.push_back(std::move(r));
      labels_.push_back(labeled ? static_cast<int32_t>(f) : -1);
    }
  }
  if (records_.empty()) throw Error(name_, "no samples found (no non-empty records)");

  if (!opts.tokenizer_path.empty()) {
    // --vocab-size beside it is refused with the options (apps/import_options).
    tokenizer_.emplace(Tokenizer::from_file(opts.tokenizer_path));
  } else {
    try {
      tokenizer_.emplace(Tokenizer::train(records_, opts.vocab_size, thread_count(), import.seed));
    } catch (const Error& e) {
      // Name the corpus, not an anonymous "tokenizer".
      throw Error(name_, e.what());
    }
    // SentencePiece stops where the corpus runs out of pieces (hard_vocab_limit
    // off); a model then has fewer rows than asked, which should not pass unseen.
    if (tokenizer_->vocab_size() < opts.vocab_size)
      warn(name_ + ": SentencePiece found only " + std::to_string(tokenizer_->vocab_size()) +
           " pieces in the text: the vocabulary has " + std::to_string(tokenizer_->vocab_size()) +
           ", fewer than --vocab-size " + std::to_string(opts.vocab_size));
  }
}

int64_t text_max_len(const io::DataReader& in) {
  const int64_t width = static_cast<int64_t>(in.info("/tokens").shape[1]);
  const hid_t d = in.dataset("/tokens");
  return io::has_attr(d, "max_len") ? std::max(width, io::attr_int(d, "max_len")) : width;
}

void TextSource::encode_all() {
  if (encoded_) return;
  const Tokenizer& tok = *tokenizer_;
  // Truncation drops pieces from the end ([SEP] stays last, see row()).
  const size_t keep = static_cast<size_t>(opts_.max_len) - 2;
  pieces_.assign(records_.size(), {});
  // Encoding is the costly part; SentencePiece's Encode is const and safe to
  // call from several threads. Errors cannot leave an OpenMP region, so the
  // first one is carried out.
  std::string error;
#pragma omp parallel for schedule(dynamic, 8)
  for (size_t i = 0; i < records_.size(); ++i) {
    try {
      std::vector<int32_t> p = tok.encode(records_[i]);
      if (p.size() > keep) p.resize(keep);
      pieces_[i] = std::move(p);
    } catch (const std::exception& e) {
#pragma omp critical
      if (error.empty()) error = e.what();
    }
  }
  if (!error.empty()) throw Error(name_, error);
  size_t longest = 0;
  for (const auto& p : pieces_) longest = std::max(longest, p.size());
  width_ = static_cast<int64_t>(longest + 2);
  encoded_ = true;
}

int64_t TextSource::width() {
  encode_all();
  return width_;
}

void TextSource::prepare(io::DataWriter& out) {
  out.create("/tokens", io::DType::i32, {static_cast<hsize_t>(width())});
  // What was asked, beside the width the rows needed (text_max_len).
  io::set_attr_int(out.dataset("/tokens"), "max_len", opts_.max_len);
  out.create("/lengths", io::DType::i32, {});
  tokenizer_->write_to(out);
}

std::vector<int32_t> TextSource::row(size_t i, int32_t& length) {
  const Tokenizer& tok = *tokenizer_;
  const size_t L = static_cast<size_t>(width());
  const std::vector<int32_t>& pieces = pieces_[i];
  std::vector<int32_t> out(L, tok.pad_id());
  // [SEP] always follows the kept pieces, so a model sees where the sample stops.
  out[0] = tok.cls_id();
  std::copy(pieces.begin(), pieces.end(), out.begin() + 1);
  out[pieces.size() + 1] = tok.sep_id();
  length = static_cast<int32_t>(pieces.size() + 2);
  return out;
}

std::vector<bool> TextSource::write_batch(io::DataWriter& out, const std::vector<size_t>& indices) {
  const size_t L = static_cast<size_t>(width()), B = indices.size();
  std::vector<int32_t> tokens(B * L), lengths(B);
  for (size_t j = 0; j < B; ++j) {
    auto r = row(indices[j], lengths[j]);
    std::copy(r.begin(), r.end(), tokens.begin() + j * L);
  }
  out.append("/tokens", tokens);
  out.append("/lengths", lengths);
  return std::vector<bool>(B, true);
}

}  // namespace sslkit::data
