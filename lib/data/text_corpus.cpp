#include "data/text_corpus.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "core/rng.hpp"
#include "core/threads.hpp"
#include "data/text_records.hpp"
#include "io/files.hpp"

namespace sslkit::data {

namespace fs = std::filesystem;

namespace {

std::string mib(size_t bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", static_cast<double>(bytes) / (1 << 20));
  return b;
}

// The lines of a plain or gzip file (zlib reads either, told by the bytes),
// without terminators (LF or CRLF) and without a leading UTF-8 byte order
// mark. A final line without LF counts; an empty tail after the last LF
// does not.
class LineReader {
 public:
  explicit LineReader(const std::string& path) : path_(path), buf_(1 << 16) {
    errno = 0;
    file_ = gzopen(path.c_str(), "rb");
    if (!file_) throw Error(path, errno ? std::strerror(errno) : "cannot open");
    gzbuffer(file_, 1 << 17);
  }
  ~LineReader() { gzclose(file_); }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  bool next(std::string& line) {
    line.clear();
    bool any = false;
    for (;;) {
      if (pos_ == end_ && !fill()) {
        if (!any) return false;
        break;
      }
      any = true;
      const char* s = buf_.data() + pos_;
      const auto* nl = static_cast<const char*>(std::memchr(s, '\n', end_ - pos_));
      const size_t take = nl ? static_cast<size_t>(nl - s) : end_ - pos_;
      line.append(s, take);
      pos_ += nl ? take + 1 : take;
      // A line this long is no text to split into records; stop before it
      // takes the memory a streamed import promises not to.
      if (line.size() > kMaxTextBytes)
        throw Error(path_, "line " + std::to_string(lines_ + 1) + " is longer than " +
                               std::to_string(kMaxTextBytes >> 10) + " KiB: not a text file of lines");
      if (nl) break;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (lines_++ == 0 && line.rfind("\xef\xbb\xbf", 0) == 0) line.erase(0, 3);
    return true;
  }
  size_t line_number() const { return lines_; }
  // Bytes of the file (compressed, for gzip) consumed so far.
  size_t offset() const {
    const z_off_t o = gzoffset(file_);
    return o > 0 ? static_cast<size_t>(o) : 0;
  }

 private:
  bool fill() {
    const int n = gzread(file_, buf_.data(), static_cast<unsigned>(buf_.size()));
    if (n < 0) {
      int code = 0;
      const char* why = gzerror(file_, &code);
      throw Error(path_, std::string("read failed: ") + (why ? why : "unknown zlib error"));
    }
    pos_ = 0;
    end_ = static_cast<size_t>(n);
    if (n == 0) {
      // zlib hands out what a cut gzip stream held and says so only here.
      int code = 0;
      gzerror(file_, &code);
      if (code == Z_BUF_ERROR) throw Error(path_, "gzip data cut short (unexpected end of file)");
    }
    return n > 0;
  }
  std::string path_;
  gzFile file_ = nullptr;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0, lines_ = 0;
};

// A uniform sample of the records within a byte budget: each record gets a
// random key and the ones with the smallest keys that fit are kept (a
// bottom-k sample whose k is set by bytes). Deterministic for a seed.
class RecordSample {
 public:
  RecordSample(size_t budget, uint64_t seed) : budget_(budget), rng_(seed, 0x7e4a) {}
  void offer(size_t index, const std::string& text) {
    const uint64_t key = rng_.next();
    if (bytes_ + text.size() > budget_ && !kept_.empty() && key >= kept_.rbegin()->first) return;
    kept_.emplace(key, std::make_pair(index, text));
    bytes_ += text.size();
    while (bytes_ > budget_ && kept_.size() > 1) {
      auto last = std::prev(kept_.end());
      bytes_ -= last->second.second.size();
      kept_.erase(last);
    }
  }
  size_t bytes() const { return bytes_; }
  // The kept texts in corpus order.
  std::vector<std::string> take() {
    std::vector<std::pair<size_t, std::string>> v;
    v.reserve(kept_.size());
    for (auto& [key, rec] : kept_) v.push_back(std::move(rec));
    kept_.clear();
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    out.reserve(v.size());
    for (auto& [i, t] : v) out.push_back(std::move(t));
    return out;
  }

 private:
  size_t budget_, bytes_ = 0;
  Rng rng_;
  std::multimap<uint64_t, std::pair<size_t, std::string>> kept_;
};

// Encoded rows on their way to one output: an unlinked temporary file of
// (id int64, length int32, pieces int32...) entries.
struct Spool {
  std::string output;
  std::FILE* file = nullptr;
  size_t rows = 0, longest = 0;
  ~Spool() {
    if (file) std::fclose(file);
  }
  void open() {
    const std::string path = io::make_temp("ssl-import-corpus");
    file = std::fopen(path.c_str(), "w+b");
    const int err = errno;
    io::remove_temp(path);  // unlinked now: nothing is left behind, whatever happens
    if (!file) throw Error(path, std::strerror(err));
  }
  void put(int64_t id, const std::vector<int32_t>& pieces) {
    const auto len = static_cast<int32_t>(pieces.size());
    if (std::fwrite(&id, sizeof id, 1, file) != 1 || std::fwrite(&len, sizeof len, 1, file) != 1 ||
        (len && std::fwrite(pieces.data(), sizeof(int32_t), pieces.size(), file) != pieces.size()))
      throw Error(output, std::string("temporary file: ") + std::strerror(errno));
    ++rows;
    longest = std::max(longest, pieces.size());
  }
  bool get(int64_t& id, std::vector<int32_t>& pieces) {
    int32_t len = 0;
    if (std::fread(&id, sizeof id, 1, file) != 1) return false;
    if (std::fread(&len, sizeof len, 1, file) != 1) throw Error(output, "temporary file cut short");
    pieces.resize(static_cast<size_t>(len));
    if (len && std::fread(pieces.data(), sizeof(int32_t), pieces.size(), file) != pieces.size())
      throw Error(output, "temporary file cut short");
    return true;
  }
};

}  // namespace

std::vector<std::string> corpus_files(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    if (p == "-")
      throw UsageError("--unlabelled reads its inputs twice (to count, then to encode): give files or directories, "
                       "not stdin");
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      if (!fs::exists(p, ec)) throw Error(p, "No such file or directory");
      files.push_back(p);
      continue;
    }
    std::vector<std::string> found;
    fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
    if (ec) throw Error(p, ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) throw Error(p, ec.message());
      const std::string leaf = it->path().filename().string();
      if (!leaf.empty() && leaf[0] == '.') {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec)) found.push_back(it->path().string());
    }
    if (found.empty()) throw Error(p, "no files in this directory (names starting with '.' are skipped)");
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

void read_records(const std::string& path, const std::string& mode, const std::function<bool(std::string&)>& record,
                  const std::function<void(size_t)>& progress) {
  LineReader in(path);
  bool more = true;
  RecordSplitter split(mode, [&](std::string& r) {
    if (more) more = record(r);
  });
  std::string line;
  size_t reported = 0;
  while (more && in.next(line)) {
    const size_t n = in.line_number();
    if (std::memchr(line.data(), 0, line.size()))
      throw Error(path, "a NUL byte at line " + std::to_string(n) + ": a binary file, not text");
    if (invalid_utf8_line(line)) throw Error(path, "invalid UTF-8 at line " + std::to_string(n));
    split.line(line);
    if (split.pending() > kMaxTextBytes)
      throw Error(path, "the record reaching line " + std::to_string(n) + " is longer than the " +
                            std::to_string(kMaxTextBytes >> 10) +
                            " KiB limit of one record (split it into lines, paragraphs or records)");
    if (progress && (n & 1023) == 0) {
      const size_t at = in.offset();
      progress(at - std::min(at, reported));
      reported = std::max(reported, at);
    }
  }
  if (more) split.finish();
  if (progress) {
    const size_t at = in.offset();
    progress(at - std::min(at, reported));
  }
}

std::string detect_records(const std::string& path) {
  LineReader in(path);
  std::string line;
  while (in.next(line))
    if (line == "%") return "percent";
  return "line";
}

std::vector<size_t> run_corpus_import(const TextImportOptions& text, const ImportOptions& import) {
  check_outputs(import);
  if (import.shuffle)
    throw UsageError("--shuffle cannot go with --unlabelled: a corpus is streamed in file order (ssl-pretrain draws "
                     "its batches in a new random order every epoch)");
  if (text.max_len < 2) throw UsageError("--max-len must be at least 2 ([CLS] and [SEP])");
  if (text.files.empty()) throw UsageError("text: no input files");
  std::string name;
  for (size_t i = 0; i < text.files.size(); ++i) name += (i ? ", " : "") + text.files[i];
  const std::vector<std::string> files = corpus_files(text.files);

  // Pass 1: how the files split, how many records, and the tokenizer's sample.
  size_t on_disk = 0;
  for (const auto& f : files) {
    std::error_code ec;
    const auto size = fs::file_size(f, ec);
    if (!ec) on_disk += size;
  }
  const bool train = text.tokenizer_path.empty();
  RecordSample sample(kTokenizerSampleBytes, import.seed);
  std::vector<std::string> modes;
  size_t n = 0, text_bytes = 0;
  {
    Progress progress("read", on_disk, "bytes");
    for (const auto& f : files) {
      modes.push_back(text.records == "auto" ? detect_records(f) : text.records);
      read_records(
          f, modes.back(),
          [&](std::string& r) {
            text_bytes += r.size();
            if (train) sample.offer(n, r);
            ++n;
            return true;
          },
          [&](size_t b) { progress.advance(b); });
    }
    progress.finish();
  }
  if (n == 0) throw Error(name, "no samples found (no non-empty records)");

  std::optional<Tokenizer> tok;
  if (!train) {
    tok.emplace(Tokenizer::from_file(text.tokenizer_path));
  } else {
    std::vector<std::string> texts = sample.take();
    // SentencePiece shows no progress of its own: say what it is doing.
    note(name + ": training a SentencePiece vocabulary of " + std::to_string(text.vocab_size) + " on " +
         (texts.size() < n ? "a uniform sample of " + std::to_string(texts.size()) + " of the " + std::to_string(n) +
                                 " records (" + mib(sample.bytes()) + " of " + mib(text_bytes) + " MiB)"
                           : "all " + std::to_string(n) + " records (" + mib(text_bytes) + " MiB)"));
    try {
      tok.emplace(Tokenizer::train(texts, text.vocab_size, thread_count(), import.seed));
    } catch (const Error& e) {
      throw Error(name, e.what());
    }
    if (tok->vocab_size() < text.vocab_size)
      warn(name + ": SentencePiece found only " + std::to_string(tok->vocab_size()) +
           " pieces in the text: the vocabulary has " + std::to_string(tok->vocab_size()) +
           ", fewer than --vocab-size " + std::to_string(text.vocab_size));
  }

  // Which records go where: the first --limit, this --shard's contiguous
  // part of them, and --split's exact count held out at random (selection
  // sampling: each record is held with probability still-to-hold /
  // still-to-see, which draws exactly k of the span in one pass).
  const size_t m = import.limit ? std::min(n, import.limit) : n;
  size_t lo = 0, hi = m;
  if (!import.shard.whole()) {
    lo = import.shard.first(m);
    hi = import.shard.last(m);
    if (lo == hi)
      throw Error(name, "shard " + import.shard.text() + " of its " + std::to_string(m) +
                            " samples holds none (more shards than samples)");
  }
  const size_t span = hi - lo;
  size_t hold = 0;
  if (import.split > 0) {
    hold = std::min(span, static_cast<size_t>(std::llround(import.split * static_cast<double>(span))));
    if (hold >= span && span >= 2) hold = span - 1;
    if (hold == 0)
      throw Error(name, "--split " + std::to_string(import.split) + " holds out no samples of " + std::to_string(span));
  }
  Rng split_rng(import.seed, 0x5917);

  // Pass 2: encode into the spools, a batch at a time across threads.
  Spool spools[2];
  spools[0].output = import.output;
  spools[0].open();
  if (hold) {
    spools[1].output = import.split_output;
    spools[1].open();
  }
  const size_t keep = static_cast<size_t>(text.max_len) - 2;
  struct Item {
    int64_t id;
    bool held;
    std::string text;
  };
  std::vector<Item> batch;
  std::vector<std::vector<int32_t>> pieces;
  Progress progress("encode", span, "samples");
  auto flush = [&] {
    pieces.assign(batch.size(), {});
    std::string error;
#pragma omp parallel for schedule(dynamic, 16)
    for (size_t j = 0; j < batch.size(); ++j) {
      try {
        std::vector<int32_t> p = tok->encode(batch[j].text);
        if (p.size() > keep) p.resize(keep);
        pieces[j] = std::move(p);
      } catch (const std::exception& e) {
#pragma omp critical
        if (error.empty()) error = e.what();
      }
    }
    if (!error.empty()) throw Error(name, error);
    for (size_t j = 0; j < batch.size(); ++j) spools[batch[j].held ? 1 : 0].put(batch[j].id, pieces[j]);
    progress.advance(batch.size());
    batch.clear();
  };
  size_t index = 0, held = 0;
  for (size_t f = 0; f < files.size() && index < hi; ++f) {
    read_records(files[f], modes[f], [&](std::string& r) {
      if (index >= lo) {
        const size_t seen = index - lo;
        const bool h = hold && split_rng.below(span - seen) < hold - held;
        held += h;
        batch.push_back({static_cast<int64_t>(index), h, std::move(r)});
        if (batch.size() >= 4096) flush();
      }
      return ++index < hi;
    });
  }
  flush();
  progress.finish();

  // Pass 3: the outputs, rows padded to the longest record of either.
  const size_t width = std::max(spools[0].longest, spools[1].longest) + 2;
  std::vector<std::unique_ptr<io::DataWriter>> writers;
  std::vector<size_t> written;
  Progress writing("write", spools[0].rows + spools[1].rows, "samples");
  for (Spool& s : spools) {
    if (!s.file) continue;
    if (s.rows == 0) throw Error(name, "no samples left to write to " + s.output);
    auto w = std::make_unique<io::DataWriter>(s.output, io::Modality::text);
    w->set_compression(import.compress);
    w->create("/tokens", io::DType::i32, {static_cast<hsize_t>(width)});
    io::set_attr_int(w->dataset("/tokens"), "max_len", text.max_len);
    w->create("/lengths", io::DType::i32, {});
    w->create("/ids", io::DType::i64, {});
    tok->write_to(*w);
    std::rewind(s.file);
    std::vector<int32_t> tokens, lengths, p;
    std::vector<int64_t> ids;
    int64_t id = 0;
    auto write = [&] {
      w->append("/tokens", tokens);
      w->append("/lengths", lengths);
      w->append("/ids", ids);
      tokens.clear(), lengths.clear(), ids.clear();
    };
    while (s.get(id, p)) {
      // [CLS] pieces [SEP], then padding: the rows TextSource writes.
      const size_t at = tokens.size();
      tokens.resize(at + width, tok->pad_id());
      tokens[at] = tok->cls_id();
      std::copy(p.begin(), p.end(), tokens.begin() + static_cast<std::ptrdiff_t>(at + 1));
      tokens[at + p.size() + 1] = tok->sep_id();
      lengths.push_back(static_cast<int32_t>(p.size() + 2));
      ids.push_back(id);
      if (ids.size() == 256) {
        write();
        writing.advance(256);
      }
    }
    writing.advance(ids.size());
    if (!ids.empty()) write();
    w->set_history({import.command_line});
    written.push_back(s.rows);
    writers.push_back(std::move(w));
  }
  writing.finish();
  note(name + ": " + std::to_string(n) + " records, " + mib(text_bytes) + " MiB of text in " +
       std::to_string(files.size()) + " files; " + std::to_string(written[0]) + " samples written" +
       (hold ? ", " + std::to_string(written[1]) + " held out" : std::string()));
  // Commit only once every output is complete: a failure above leaves nothing.
  for (auto& w : writers) w->commit();
  return written;
}

}  // namespace sslkit::data
