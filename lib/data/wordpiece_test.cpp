#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>

#include "core/error.hpp"
#include "data/wordpiece.hpp"

using namespace sslkit;
using namespace sslkit::data;

namespace {

// Committed by tests/interop/make_wordpiece_fixtures.py (transformers 5.25).
const std::string kFixtures = std::string(SSLKIT_DATA_DIR) + "/../tests/interop/fixtures/wordpiece";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string show(const WordPiece& wp, const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += (s.empty() ? "" : " ") + (id >= 0 && id < wp.size() ? wp.piece(id) : "?");
  return s;
}

}  // namespace

TEST_CASE("WordPiece gives BertTokenizer's ids on fortunes and the Unicode stress list") {
  const std::string vocab = read_text(kFixtures + "/vocab.txt");
  const auto fixture = nlohmann::json::parse(read_text(kFixtures + "/cases.json"));
  const WordPiece uncased(vocab, {.lower_case = true}, "vocab.txt");
  const WordPiece cased(vocab, {.lower_case = false}, "vocab.txt");
  CHECK(uncased.size() == fixture["vocab_size"].get<int32_t>());
  size_t checked = 0, fortunes = 0, stress = 0;
  for (const auto& c : fixture["cases"]) {
    const std::string text = c["text"];
    const WordPiece& wp = c["do_lower_case"].get<bool>() ? uncased : cased;
    const auto want = c["ids"].get<std::vector<int32_t>>();
    const auto got = wp.encode(text);
    INFO("do_lower_case " << c["do_lower_case"] << " text: " << text);
    INFO("want: " << show(wp, want));
    INFO("got:  " << show(wp, got));
    CHECK(got == want);
    ++checked;
    (c["kind"] == "stress" ? stress : fortunes) += 1;
  }
  CHECK(fortunes >= 600);  // 300 lines, both casings
  CHECK(stress >= 50);
  MESSAGE("WordPiece: " << checked << " texts compared with BertTokenizer");
}

TEST_CASE("WordPiece rules one by one") {
  const std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nun\n##aff\n##able\nhello\n,\n!\na\n##a\nσ\n##ς\n##σ\n中\ne\n";
  const WordPiece wp(vocab, {}, "test");
  auto pieces = [&](const std::string& t) { return show(wp, wp.encode(t)); };
  CHECK(pieces("unaffable") == "un ##aff ##able");
  CHECK(pieces("HELLO,hello!") == "hello , hello !");
  CHECK(pieces("unaffablex") == "[UNK]");  // an unmatched rest makes the whole word [UNK]
  CHECK(pieces("Σσ") == "σ ##σ");           // per-character lowering: no final sigma
  CHECK(pieces("a中a") == "a 中 a");
  CHECK(pieces("É\xCC\x81") == "e");        // NFD, the marks dropped
  CHECK(pieces(std::string(100, 'a')) == "a" + [] {
    std::string s;
    for (int i = 0; i < 99; ++i) s += " ##a";
    return s;
  }());
  CHECK(pieces(std::string(101, 'a')) == "[UNK]");
  CHECK(pieces("hello[MASK]hello") == "hello [MASK] hello");
  CHECK(pieces("a\xff\xfe" "a") == "a ##a");  // bytes that are not UTF-8 are dropped like U+FFFD
  CHECK(wp.words("Hello, wörld") == std::vector<std::string>{"hello", ",", "world"});
  const WordPiece keep(vocab, {.lower_case = true, .strip_accents = false}, "test");
  CHECK(keep.words("É") == std::vector<std::string>{"\xC3\xA9"});
  CHECK(wp.vocab_text() == vocab);
  CHECK(wp.id("##able") == 7);
  CHECK(wp.id("nope") == -1);
  CHECK_THROWS_WITH_AS(WordPiece("a\nb\n", {}, "v.txt"), "v.txt: a WordPiece vocabulary without [UNK]", Error);
  CHECK_THROWS_WITH_AS(WordPiece("", {}, "v.txt"), "v.txt: an empty WordPiece vocabulary", Error);
}
