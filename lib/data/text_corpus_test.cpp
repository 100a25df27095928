#include <doctest/doctest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "data/text_corpus.hpp"
#include "data/text_records.hpp"
#include "data/text_source.hpp"
#include "io/test_util.hpp"

using namespace sslkit;
using namespace sslkit::data;
using sslkit::testing::ScratchDir;

namespace {

using Strings = std::vector<std::string>;

void write_file(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

Strings read_all(const std::string& path, const std::string& mode) {
  Strings out;
  read_records(path, mode, [&](std::string& r) {
    out.push_back(r);
    return true;
  });
  return out;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.message();
  }
  return "no error";
}

}  // namespace

TEST_CASE("text records: paragraphs end at blank lines and at %") {
  CHECK(split_records("a\nb\n\n  \nc\n%\nd\n", "paragraph", "x") == Strings{"a\nb", "c", "d"});
  CHECK(split_records("\n\nwrapped line\ncontinued  \n\n", "paragraph", "x") == Strings{"wrapped line\ncontinued"});
  // percent keeps a record's blank lines (a fortune's stanzas).
  CHECK(split_records("a\n\nb\n%\nc\n", "percent", "x") == Strings{"a\n\nb", "c"});
  CHECK_THROWS_AS(RecordSplitter("bogus", [](std::string&) {}), UsageError);
}

TEST_CASE("text corpus: streamed records equal the whole-file split - gzip or plain") {
  ScratchDir dir;
  const std::string text = "\xef\xbb\xbfone\r\ntwo\n%\nthree\n\nfour\n%\n";
  write_file(dir / "plain.txt", text);
  write_gz(dir / "packed.gz", text);
  for (const std::string mode : {"line", "percent", "paragraph"}) {
    CHECK(read_all(dir / "plain.txt", mode) == split_records(text, mode, "x"));
    CHECK(read_all(dir / "packed.gz", mode) == split_records(text, mode, "x"));
  }
  CHECK(detect_records(dir / "packed.gz") == "percent");
  write_file(dir / "lines.txt", "50% off\nno record marks\n");
  CHECK(detect_records(dir / "lines.txt") == "line");
  // A final line without LF counts; stopping early reads no further.
  write_file(dir / "tail.txt", "a\nb\nc");
  CHECK(read_all(dir / "tail.txt", "line") == Strings{"a", "b", "c"});
  Strings first;
  read_records(dir / "tail.txt", "line", [&](std::string& r) {
    first.push_back(r);
    return false;
  });
  CHECK(first == Strings{"a"});
}

TEST_CASE("text corpus: bad files are errors naming file and line") {
  ScratchDir dir;
  write_file(dir / "bin", std::string("text\nmore\0bytes\n", 16));
  CHECK(error_of([&] { read_all(dir / "bin", "line"); }) == dir / "bin" + ": a NUL byte at line 2: a binary file, not text");
  write_file(dir / "latin1", "ok\ncaf\xe9\n");
  CHECK(error_of([&] { read_all(dir / "latin1", "line"); }) == dir / "latin1" + ": invalid UTF-8 at line 2");
  write_file(dir / "huge", std::string(kMaxTextBytes + 10, 'a') + "\n");
  CHECK(error_of([&] { read_all(dir / "huge", "line"); }).find("line 1 is longer than") != std::string::npos);
  // A record grows past the limit over many short lines.
  std::string many;
  for (size_t i = 0; i < (kMaxTextBytes / 10) + 10; ++i) many += "123456789\n";
  write_file(dir / "long-record", many);
  CHECK(error_of([&] { read_all(dir / "long-record", "percent"); }).find("KiB limit of one record") != std::string::npos);
  CHECK(read_all(dir / "long-record", "line").size() == kMaxTextBytes / 10 + 10);
}

TEST_CASE("text corpus: files of directories - recursive and sorted - hidden names skipped") {
  ScratchDir dir;
  write_file(dir / "c/z.txt", "z");
  write_file(dir / "c/a/b.txt", "b");
  write_file(dir / "c/m.txt.gz", "m");
  write_file(dir / "c/.hidden", "h");
  write_file(dir / "c/.git/config", "g");
  write_file(dir / "single.txt", "s");
  CHECK(corpus_files({dir / "single.txt", dir / "c"}) ==
        Strings{dir / "single.txt", dir / "c/a/b.txt", dir / "c/m.txt.gz", dir / "c/z.txt"});
  std::filesystem::create_directories(dir / "empty/.only-hidden");
  CHECK(error_of([&] { corpus_files({dir / "empty"}); }) ==
        dir / "empty" + ": no files in this directory (names starting with '.' are skipped)");
  CHECK_THROWS_AS(corpus_files({"-"}), UsageError);
}
