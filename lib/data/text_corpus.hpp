// An unlabelled text corpus for pretraining (`ssl-import text --unlabelled`):
// many files and directories (recursive, plain or gzip), no /labels. The
// corpus is streamed, never held: one pass counts the records and keeps a
// uniform sample of at most kTokenizerSampleBytes for SentencePiece, a second
// encodes them into an unlinked temporary file (so the rows' width, the
// longest record's, is known before /tokens is made), a third writes the
// outputs. Peak memory is the sample plus a batch, whatever the corpus size.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "data/import.hpp"
#include "data/text_source.hpp"

namespace sslkit::data {

// SentencePiece holds its whole input and several times its size in suffix
// arrays and piece tables (about 10x measured), so past this many bytes of
// text a uniform sample of the records is what it trains on: enough for a
// vocabulary of tens of thousands of pieces.
constexpr size_t kTokenizerSampleBytes = size_t{16} << 20;

// Every file `paths` name: a file as given, a directory's regular files at
// any depth, sorted by path. Names starting with "." are skipped inside a
// directory (.git, editor swap files). Error naming a directory without
// files, and "-" (stdin cannot be read twice) is a usage error.
std::vector<std::string> corpus_files(const std::vector<std::string>& paths);

// Reads `path` (gzip or plain, told by its bytes) line by line into
// `records` (mode line, percent or paragraph: data/text_records.hpp).
// `record` returns false to stop reading; `progress` receives the
// (compressed) bytes consumed as they go. Error
// naming the file for invalid UTF-8 or a NUL byte (a binary file) with the
// line, and for a record over kMaxTextBytes.
void read_records(const std::string& path, const std::string& mode, const std::function<bool(std::string&)>& record,
                  const std::function<void(size_t)>& progress = {});

// "percent" when some line of `path` is exactly "%", else "line": what
// --records auto means, per file.
std::string detect_records(const std::string& path);

// The whole import: every output written and committed together, or none.
// Returns the samples written per output (main, then held out).
std::vector<size_t> run_corpus_import(const TextImportOptions& text, const ImportOptions& import);

}  // namespace sslkit::data
