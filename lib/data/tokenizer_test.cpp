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

TEST_CASE("text tokenizer: WordPiece from vocab.txt with its tokenizer_config.json") {
  ScratchDir dir;
  const std::string vocab = "[PAD]\n[unused0]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nriver\n##s\nRiver\n.\n";
  write_file(dir / "vocab.txt", vocab);
  // BertTokenizer's defaults without a config: lower-cased, accents stripped.
  Tokenizer lower = Tokenizer::from_file(dir / "vocab.txt");
  CHECK(lower.kind() == TokenizerKind::wordpiece);
  CHECK(lower.encode("The Rivers.") == std::vector<int32_t>{6, 7, 8, 10});
  CHECK(lower.pad_id() == 0);
  CHECK(lower.unk_id() == 2);
  CHECK(lower.cls_id() == 3);
  CHECK(lower.sep_id() == 4);
  CHECK(lower.mask_id() == 5);
  CHECK(lower.is_special(1));  // [unused0]
  CHECK(!lower.is_special(6));
  CHECK(lower.starts_word(7));
  CHECK(!lower.starts_word(8));
  CHECK(lower.decode({3, 6, 7, 8, 5, 10, 4, 0}) == "the rivers [MASK] .");
  write_file(dir / "tokenizer_config.json", R"({"do_lower_case": false, "tokenize_chinese_chars": true})");
  Tokenizer cased = Tokenizer::from_file(dir / "vocab.txt");
  CHECK(!cased.wordpiece()->options().lower_case);
  CHECK(cased.encode("The Rivers.") == std::vector<int32_t>{2, 9, 8, 10});
  CHECK(cased.bytes() != lower.bytes());  // the flags are part of the tokenizer

  // bytes() say their kind: from_bytes gives the same tokenizer back.
  const std::vector<uint8_t> b = cased.bytes();
  CHECK(std::string(b.begin(), b.end()).rfind("{\"kind\":\"wordpiece\",\"do_lower_case\":false,", 0) == 0);
  Tokenizer back = Tokenizer::from_bytes(b, "m.h5");
  CHECK(back.kind() == TokenizerKind::wordpiece);
  CHECK(back.bytes() == b);
  CHECK(back.encode("The Rivers.") == cased.encode("The Rivers."));

  // The data file records the kind and flags beside the bytes.
  {
    io::DataWriter w(dir / "t.h5", io::Modality::text);
    w.create("/tokens", io::DType::i32, {4});
    w.create("/lengths", io::DType::i32, {});
    cased.write_to(w);
    w.commit();
  }
  io::DataReader r(dir / "t.h5");
  CHECK(io::attr_string(r.dataset("/tokenizer"), "kind") == "wordpiece");
  CHECK(io::attr_int(r.dataset("/tokenizer"), "do_lower_case") == 0);
  CHECK(io::attr_int(r.dataset("/tokenizer"), "strip_accents") == 0);
  CHECK(Tokenizer::read_from(r).bytes() == b);

  write_file(dir / "bad" + std::string("vocab.txt"), "[PAD]\n[UNK]\nthe\n");
  CHECK_THROWS_WITH_AS(Tokenizer::from_file(dir / "badvocab.txt"),
                       (dir / "badvocab.txt" + ": WordPiece vocabulary lacks the special pieces [CLS] [SEP] [MASK]").c_str(),
                       Error);
}

TEST_CASE("text tokenizer: WordPiece from a BERT tokenizer.json") {
  ScratchDir dir;
  const std::string json = R"({"version":"1.0","normalizer":{"type":"BertNormalizer","clean_text":true,
    "handle_chinese_chars":true,"strip_accents":null,"lowercase":true},"pre_tokenizer":{"type":"BertPreTokenizer"},
    "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,
    "vocab":{"[PAD]":0,"[UNK]":1,"[CLS]":2,"[SEP]":3,"[MASK]":4,"the":5,"river":6,"##s":7}}})";
  write_file(dir / "tokenizer.json", json);
  Tokenizer t = Tokenizer::from_file(dir / "tokenizer.json");
  CHECK(t.encode("THE RIVERS") == std::vector<int32_t>{5, 6, 7});
  CHECK(t.wordpiece()->vocab_text() == "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nriver\n##s\n");
  // The same vocabulary as vocab.txt is the same tokenizer, byte for byte.
  std::filesystem::create_directories(dir / "v");
  write_file(dir / "v/vocab.txt", t.wordpiece()->vocab_text());
  CHECK(Tokenizer::from_file(dir / "v/vocab.txt").bytes() == t.bytes());

  std::string other = json;
  other.replace(other.find("BertPreTokenizer"), 16, "Whitespace");
  write_file(dir / "other.json", other);
  CHECK_THROWS_WITH_AS(Tokenizer::from_file(dir / "other.json"),
                       (dir / "other.json" + ": not a BERT WordPiece tokenizer (model WordPiece, normalizer "
                                             "BertNormalizer, pre_tokenizer Whitespace; sslkit reads WordPiece, "
                                             "BertNormalizer, BertPreTokenizer)").c_str(),
                       Error);
  std::string gap = json;
  gap.replace(gap.find("\"##s\":7"), 7, "\"##s\":9");
  write_file(dir / "gap.json", gap);
  CHECK_THROWS_AS(Tokenizer::from_file(dir / "gap.json"), Error);
}
