#include <doctest/doctest.h>
#include <sentencepiece_trainer.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <unordered_map>

#include "core/error.hpp"
#include "data/text_source.hpp"
#include "data/tokenizer.hpp"
#include "io/test_util.hpp"

using namespace sslkit;
using namespace sslkit::data;
using sslkit::testing::ScratchDir;

static const std::string kData = SSLKIT_DATA_DIR;

namespace {

std::vector<std::string> corpus() {
  std::vector<std::string> all;
  for (const char* name : {"proverbs", "weather"}) {
    std::ifstream in(kData + "/text/" + name, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto recs = split_records(text, "percent", name);
    all.insert(all.end(), recs.begin(), recs.end());
  }
  return all;
}

// Trained once: SentencePiece takes a moment even on a small corpus.
const Tokenizer& trained() {
  static Tokenizer t = Tokenizer::train(corpus(), 400, 1, 7);
  return t;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

}  // namespace

TEST_CASE("text tokenizer: trained model has the special ids 0..4") {
  const Tokenizer& t = trained();
  CHECK(t.pad_id() == 0);
  CHECK(t.unk_id() == 1);
  CHECK(t.cls_id() == 2);
  CHECK(t.sep_id() == 3);
  CHECK(t.mask_id() == 4);
  CHECK(t.vocab_size() > 5);
  CHECK(t.vocab_size() <= 400);
  // Special pieces never come out of plain text, even when it spells them
  // (characters the corpus lacks, like the brackets, become <unk>).
  for (int32_t id : t.encode("the [CLS] and [MASK] of the river")) {
    CHECK(id != t.pad_id());
    CHECK(id != t.cls_id());
    CHECK(id != t.sep_id());
    CHECK(id != t.mask_id());
  }
}

TEST_CASE("text tokenizer: a corpus too small for the vocabulary still trains") {
  Tokenizer t = Tokenizer::train({"tiny corpus", "two lines"}, 8000, 2, 1);
  CHECK(t.cls_id() == 2);
  CHECK(t.vocab_size() < 8000);
}

TEST_CASE("text tokenizer: encode and decode round trip") {
  const Tokenizer& t = trained();
  for (std::string s : {"The quick fox watched the kettle boil.", "Rain turning to snow above the valley.",
                        "zebra xylophone quartz"}) {
    auto ids = t.encode(s);
    CHECK(!ids.empty());
    CHECK(t.decode(ids) == s);
  }
  // Pad, [CLS] and [SEP] are skipped; [MASK] is shown where it sits.
  auto ids = t.encode("A cold front moves in");
  std::vector<int32_t> framed{t.cls_id()};
  framed.insert(framed.end(), ids.begin(), ids.end());
  framed.push_back(t.sep_id());
  framed.push_back(t.pad_id());
  framed.push_back(t.pad_id());
  CHECK(t.decode(framed) == "A cold front moves in");
  auto masked = t.encode("cold");
  masked.insert(masked.begin(), t.mask_id());
  CHECK(t.decode(masked) == "[MASK] cold");
  CHECK_THROWS_AS(t.decode({t.vocab_size()}), Error);
}

TEST_CASE("text tokenizer: bytes round trip") {
  const Tokenizer& t = trained();
  auto bytes = t.bytes();
  CHECK(!bytes.empty());
  Tokenizer u = Tokenizer::from_bytes(bytes);
  CHECK(u.bytes() == bytes);
  CHECK(u.vocab_size() == t.vocab_size());
  std::string s = "Whoever plants walnuts plants them for the grandchildren.";
  CHECK(u.encode(s) == t.encode(s));

  ScratchDir dir;
  write_file(dir / "m.model", std::string(bytes.begin(), bytes.end()));
  Tokenizer f = Tokenizer::from_file(dir / "m.model");
  CHECK(f.encode(s) == t.encode(s));
}

TEST_CASE("text tokenizer: same corpus and seed and threads give the same model") {
  auto c = corpus();
  CHECK(Tokenizer::train(c, 300, 2, 5).bytes() == Tokenizer::train(c, 300, 2, 5).bytes());
}

TEST_CASE("text tokenizer: bad model files are errors naming the file") {
  ScratchDir dir;
  auto message = [](const std::string& path) {
    try {
      Tokenizer::from_file(path);
    } catch (const Error& e) {
      return e.message();
    }
    return std::string("no error");
  };
  CHECK(message(dir / "missing.model").find("missing.model") != std::string::npos);
  write_file(dir / "junk.model", "this is not a protobuf \xff\xff\xff\xff");
  auto junk = message(dir / "junk.model");
  CHECK(junk.find("junk.model") != std::string::npos);
  CHECK(junk.find("not a SentencePiece model") != std::string::npos);
  write_file(dir / "empty.model", "");
  CHECK(message(dir / "empty.model").find("empty.model") != std::string::npos);
  // A folder opens as a stream and fails on its first read, in the library's words.
  std::filesystem::create_directories(dir / "folder.model");
  CHECK(message(dir / "folder.model") == dir / "folder.model" + ": is a folder, not a SentencePiece model");

  // A valid SentencePiece model trained without sslkit's special pieces.
  std::vector<std::string> texts = corpus();
  struct It : sentencepiece::SentenceIterator {
    const std::vector<std::string>* v;
    size_t i = 0;
    bool done() const override { return i >= v->size(); }
    void Next() override { ++i; }
    const std::string& value() const override { return (*v)[i]; }
    sentencepiece::util::Status status() const override { return {}; }
  } it;
  it.v = &texts;
  std::string proto;
  std::unordered_map<std::string, std::string> args{
      {"vocab_size", "200"}, {"hard_vocab_limit", "false"}, {"minloglevel", "2"}};
  REQUIRE(sentencepiece::SentencePieceTrainer::Train(args, &it, &proto).ok());
  write_file(dir / "plain.model", proto);
  auto plain = message(dir / "plain.model");
  CHECK(plain.find("plain.model") != std::string::npos);
  CHECK(plain.find("<pad>") != std::string::npos);
  CHECK(plain.find("[CLS]") != std::string::npos);
  CHECK(plain.find("[MASK]") != std::string::npos);
}

TEST_CASE("text tokenizer: a text over SentencePiece's default sentence limit is trained on") {
  // One 70 KB text: over the 64 KiB SentencePiece took before (it skipped
  // such texts silently, and a corpus of only them failed with no reason).
  std::string text;
  for (int i = 0; i < 14000; ++i) text += i % 3 ? "word " : "other ";
  Tokenizer t = Tokenizer::train({text}, 20, 1, 7);
  CHECK(t.encode(text).size() >= 14000);
  CHECK(t.piece(t.encode("word")[0]).find("word") != std::string::npos);
  // Longer than sslkit takes: refused, not skipped.
  CHECK_THROWS_AS(Tokenizer::train({std::string(kMaxTextBytes + 1, 'a')}, 20, 1, 7), Error);
}
