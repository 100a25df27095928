#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>

#include "core/error.hpp"
#include "data/text_source.hpp"
#include "io/test_util.hpp"

using namespace sslkit;
using namespace sslkit::data;
using sslkit::testing::ScratchDir;

static const std::string kData = SSLKIT_DATA_DIR;

namespace {

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.message();
  }
  return "no error";
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("text: line records") {
  CHECK(split_records("one\ntwo  \n\n   \nthree", "line", "x") == Strings{"one", "two", "three"});
  CHECK(split_records("crlf\r\nlines\r\n", "line", "x") == Strings{"crlf", "lines"});
  CHECK(split_records("\xef\xbb\xbf" "bom\n", "line", "x") == Strings{"bom"});
  CHECK(split_records("", "auto", "x").empty());
  // Without a "%" line, auto means one record per line.
  CHECK(split_records("a\nb 50%\n", "auto", "x") == Strings{"a", "b 50%"});
  CHECK_THROWS_AS(split_records("a", "bogus", "x"), UsageError);
}

TEST_CASE("text: percent records") {
  std::string text = "first line\n  second line  \n%\n%\n\n\nafter blanks\n\n  -- someone\n%\r\nlast\t\n";
  Strings want{"first line\n  second line", "after blanks\n\n  -- someone", "last"};
  CHECK(split_records(text, "percent", "x") == want);
  CHECK(split_records(text, "auto", "x") == want);
  // "%" inside a line does not split; in line mode "%" lines are records.
  CHECK(split_records("100% sure\n% not alone\n", "percent", "x") == Strings{"100% sure\n% not alone"});
  CHECK(split_records("a\n%\nb\n", "line", "x") == Strings{"a", "%", "b"});
}

TEST_CASE("text: UTF-8 validation") {
  CHECK(invalid_utf8_line("plain ascii\n") == 0);
  CHECK(invalid_utf8_line("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == 0);
  CHECK(invalid_utf8_line("ok\nok\n\xff") == 3);
  CHECK(invalid_utf8_line("\xc0\x80") == 1);          // overlong NUL
  CHECK(invalid_utf8_line("a\n\xed\xa0\x80") == 2);   // surrogate
  CHECK(invalid_utf8_line("\xf4\x90\x80\x80") == 1);  // past U+10FFFF
  CHECK(invalid_utf8_line("end \xe2\x82") == 1);      // cut short
  CHECK(invalid_utf8_line("\xe2\x28\xa1") == 1);      // bad continuation
}

TEST_CASE("text: several files give one class each and ids in file order") {
  TextImportOptions t;
  t.files = {kData + "/text/proverbs", kData + "/text/weather"};
  t.vocab_size = 500;
  TextSource src(t, ImportOptions{});
  CHECK(src.size() == 80);
  CHECK(src.class_names() == Strings{"proverbs", "weather"});
  CHECK(src.labels()[0] == 0);
  CHECK(src.labels()[39] == 0);
  CHECK(src.labels()[40] == 1);
  CHECK(src.labels()[79] == 1);
  CHECK(src.record(0) == "A kettle watched by three cooks still boils at its own pace.");
  CHECK(src.record(37) == "The apple remembers the tree,\nbut the tree forgets the apple.");
  CHECK(src.record(40).rfind("Morning fog", 0) == 0);
  CHECK(src.tokenizer().cls_id() == 2);
}

TEST_CASE("text: one file is unlabeled") {
  TextImportOptions t;
  t.files = {kData + "/text/weather"};
  TextSource src(t, ImportOptions{});
  CHECK(src.size() == 40);
  CHECK(src.class_names().empty());
  CHECK(src.labels() == std::vector<int32_t>(40, -1));
}

TEST_CASE("text: rows are CLS pieces SEP then pad and truncation keeps SEP last") {
  TextImportOptions t;
  t.files = {kData + "/text/proverbs"};
  t.max_len = 64;
  TextSource src(t, ImportOptions{});
  const Tokenizer& tok = src.tokenizer();
  int32_t len = 0;
  auto r = src.row(7, len);  // "A loud drum is mostly empty inside."
  auto pieces = tok.encode(src.record(7));
  REQUIRE(static_cast<size_t>(len) == pieces.size() + 2);
  // Rows are as wide as the longest record needs, at most --max-len.
  CHECK(r.size() == static_cast<size_t>(src.width()));
  CHECK(src.width() <= 64);
  CHECK(r[0] == tok.cls_id());
  CHECK(r[len - 1] == tok.sep_id());
  for (size_t i = len; i < r.size(); ++i) CHECK(r[i] == tok.pad_id());
  CHECK(std::vector<int32_t>(r.begin() + 1, r.begin() + len - 1) == pieces);

  t.max_len = 5;
  TextSource short_src(t, ImportOptions{});
  auto s = short_src.row(7, len);
  auto p2 = short_src.tokenizer().encode(short_src.record(7));
  REQUIRE(p2.size() > 3);
  CHECK(len == 5);
  CHECK(s == std::vector<int32_t>{2, p2[0], p2[1], p2[2], 3});

  t.max_len = 2;
  TextSource bare(t, ImportOptions{});
  CHECK(bare.row(0, len) == std::vector<int32_t>{2, 3});
  t.max_len = 1;
  CHECK_THROWS_AS(TextSource(t, ImportOptions{}), UsageError);
}

TEST_CASE("text: import writes tokens and lengths and a tokenizer that decodes") {
  ScratchDir dir;
  TextImportOptions t;
  t.files = {kData + "/text/proverbs", kData + "/text/weather"};
  t.max_len = 32;
  ImportOptions o;
  o.output = dir / "out.h5";
  o.compress = true;
  TextSource src(t, o);
  CHECK(run_import(src, o) == std::vector<size_t>{80});
  io::DataReader r(o.output);
  CHECK(r.modality() == io::Modality::text);
  // As wide as the longest row needs, at most --max-len; the --max-len asked is recorded.
  CHECK(r.info("/tokens").shape == std::vector<hsize_t>{80, static_cast<hsize_t>(src.width())});
  CHECK(src.width() <= 32);
  CHECK(text_max_len(r) == 32);
  CHECK(r.info("/tokens").filters.find("deflate") != std::string::npos);
  CHECK(r.info("/lengths").shape == std::vector<hsize_t>{80});
  CHECK(r.class_names() == Strings{"proverbs", "weather"});
  auto ids = r.ids();
  CHECK(ids[41] == 41);
  Tokenizer tok = Tokenizer::read_from(r);
  CHECK(tok.bytes() == src.tokenizer().bytes());
  hid_t d = r.dataset("/tokenizer");
  CHECK(io::attr_int(d, "mask_id") == 4);
  CHECK(io::attr_int(d, "vocab_size") == tok.vocab_size());
  auto lengths = r.read_all<int32_t>("/lengths");
  std::vector<int32_t> row(32);
  r.read<int32_t>("/tokens", 40, 1, row.data());
  CHECK(lengths[40] <= 32);
  CHECK(row[0] == 2);
  CHECK(row[lengths[40] - 1] == 3);
  row.resize(lengths[40]);
  std::string text = tok.decode(row);
  // Row 40 may be cut at 32 tokens; what is left is the record's start.
  CHECK(!text.empty());
  CHECK(src.record(40).rfind(text, 0) == 0);

  // The same tokenizer, given as a .model file, tokenizes identically.
  auto bytes = tok.bytes();
  write_file(dir / "tok.model", std::string(bytes.begin(), bytes.end()));
  TextImportOptions t2 = t;
  t2.tokenizer_path = dir / "tok.model";
  TextSource again(t2, ImportOptions{});
  int32_t l1 = 0, l2 = 0;
  CHECK(again.row(5, l1) == src.row(5, l2));
  CHECK(l1 == l2);
}

TEST_CASE("text: rows are padded to the longest row and the --max-len asked is recorded") {
  ScratchDir dir;
  TextImportOptions t;
  t.files = {kData + "/text/proverbs"};
  t.max_len = 1 << 20;
  ImportOptions o;
  o.output = dir / "out.h5";
  TextSource src(t, o);
  size_t longest = 0;
  for (size_t i = 0; i < src.size(); ++i) longest = std::max(longest, src.tokenizer().encode(src.record(i)).size());
  CHECK(src.width() == static_cast<int64_t>(longest + 2));
  run_import(src, o);
  io::DataReader r(o.output);
  CHECK(r.info("/tokens").shape == std::vector<hsize_t>{src.size(), longest + 2});
  CHECK(io::attr_int(r.dataset("/tokens"), "max_len") == (1 << 20));
  CHECK(text_max_len(r) == (1 << 20));
  auto lengths = r.read_all<int32_t>("/lengths");
  CHECK(*std::max_element(lengths.begin(), lengths.end()) == static_cast<int32_t>(longest + 2));
}

TEST_CASE("text: a loaded tokenizer is read from its file") {
  // (--vocab-size beside it is refused with the options: apps/import_options_test.)
  ScratchDir dir;
  TextImportOptions t;
  t.files = {kData + "/text/proverbs"};
  TextSource src(t, ImportOptions{});
  auto bytes = src.tokenizer().bytes();
  write_file(dir / "tok.model", std::string(bytes.begin(), bytes.end()));
  t.tokenizer_path = dir / "tok.model";
  CHECK(TextSource(t, ImportOptions{}).tokenizer().vocab_size() == src.tokenizer().vocab_size());
}

TEST_CASE("text: bad input") {
  ScratchDir dir;
  TextImportOptions t;
  write_file(dir / "bad.txt", "fine\nstill fine\nbroken \xff here\n");
  t.files = {dir / "bad.txt"};
  auto msg = error_of([&] { TextSource(t, ImportOptions{}); });
  CHECK(msg.find("bad.txt") != std::string::npos);
  CHECK(msg.find("invalid UTF-8 at line 3") != std::string::npos);

  write_file(dir / "empty.txt", "\n  \n%\n%\n");
  t.files = {dir / "empty.txt"};
  msg = error_of([&] { TextSource(t, ImportOptions{}); });
  CHECK(msg.find("no samples") != std::string::npos);

  t.files = {dir / "missing.txt"};
  msg = error_of([&] { TextSource(t, ImportOptions{}); });
  CHECK(msg.find("missing.txt") != std::string::npos);

  // Each file is a class, so two files of one name are ambiguous.
  std::filesystem::create_directories(dir / "a");
  std::filesystem::create_directories(dir / "b");
  write_file(dir / "a/x", "one\n");
  write_file(dir / "b/x", "two\n");
  t.files = {dir / "a/x", dir / "b/x"};
  CHECK_THROWS_AS(TextSource(t, ImportOptions{}), UsageError);
}
