// ssl-import's options without reading any input: what each source takes,
// what it refuses, and the defaults the import reads.
#include <doctest/doctest.h>

#include <iterator>
#include <set>

#include "apps/import_options.hpp"
#include "core/error.hpp"

using namespace sslkit;
using json = nlohmann::ordered_json;

namespace {
std::string refusal(const std::string& source, const json& given) {
  try {
    data::resolve_import(source, given);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("import options a source would ignore are refused naming the option and why") {
  struct Case {
    std::string source;
    json given;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"idx", {{"images", "i.gz"}, {"--class-names", "a,b"}},
       "--class-names names the values of the labels file; no labels file is given"},
      {"images", {{"input", "d"}, {"--fit", "stretch"}},
       "--fit says how images are resized to --size; --size is not given: the images keep their size"},
      {"text", {{"--tokenizer", "t.model"}, {"--vocab-size", 100}},
       "--vocab-size sizes a tokenizer trained on the input; --tokenizer t.model brings its own vocabulary"},
      {"audio", {{"input", "d"}, {"--split-output", "te.h5"}},
       "--split-output takes the part --split holds out; --split is not given"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.source);
    CAPTURE(c.given.dump());
    CHECK(refusal(c.source, c.given) == c.message);
  }
  // Every rule of every source's table has its case above, for that source
  // or (the shared options) another.
  std::set<std::string> refused;
  for (const Case& c : cases) refused.insert(std::prev(c.given.end()).key());
  for (const std::string& source : data::import_sources())
    for (const data::ImportRow& r : data::import_options(source))
      if (r.unless) {
        CAPTURE(source);
        CAPTURE(r.spec.flag);
        CHECK(refused.count(r.spec.flag) == 1);
      }
  // The shared rule holds for every source of samples (a model has no --split).
  for (const std::string& source : data::import_sources())
    if (source != "model") CHECK(refusal(source, {{"--split-output", "te.h5"}}).rfind("--split-output takes the part", 0) == 0);
  // --split without its output, and a source that is none.
  CHECK(refusal("idx", {{"images", "i.gz"}, {"--split", 0.2}}) == "--split needs --split-output FILE");
  CHECK(refusal("csv", json::object()).rfind("ssl-import has no source 'csv'", 0) == 0);
  // Where they apply they are taken.
  CHECK(refusal("idx", {{"images", "i.gz"}, {"labels", "l.gz"}, {"--class-names", "a,b"}}).empty());
  CHECK(refusal("images", {{"input", "d"}, {"--size", 8}, {"--fit", "stretch"}}).empty());
  CHECK(refusal("text", {{"--vocab-size", 100}}).empty());
  CHECK(refusal("text", {{"--tokenizer", "t.model"}, {"--max-len", 16}}).empty());
  CHECK(refusal("audio", {{"input", "d"}, {"--split", 0.2}, {"--split-output", "te.h5"}}).empty());
}

TEST_CASE("import options reach the source with its defaults") {
  const data::ImportRun text = data::resolve_import("text", json::object());
  CHECK(text.source == "text");
  CHECK(text.text.records == "auto");
  CHECK(text.text.vocab_size == 8000);
  CHECK(text.text.max_len == 128);
  CHECK(text.text.tokenizer_path.empty());
  CHECK(text.import.limit == 0);
  CHECK_FALSE(text.import.shuffle);
  CHECK(text.import.split == 0);
  CHECK_FALSE(text.import.compress);

  const data::ImportRun images = data::resolve_import(
      "images", {{"input", "d"}, {"--size", 32}, {"--fit", "stretch"}, {"--gray", true}, {"--background", "black"}});
  CHECK(images.images.input == "d");
  CHECK(images.images.size == 32);
  CHECK(images.images.fit == "stretch");
  CHECK(images.images.gray);
  CHECK(images.images.background == "black");
  CHECK(data::resolve_import("images", {{"input", "d"}}).images.fit == "crop");
  CHECK(data::resolve_import("images", {{"input", "d"}}).images.background == "white");

  const data::ImportRun idx = data::resolve_import(
      "idx", {{"images", "i.gz"}, {"labels", "l.gz"}, {"--class-names", "a,b"}, {"--limit", 50}, {"--shuffle", true},
              {"--split", 0.25}, {"--split-output", "te.h5"}, {"--compress", true}});
  CHECK(idx.idx.images == "i.gz");
  CHECK(idx.idx.labels == "l.gz");
  CHECK(idx.idx.class_names == "a,b");
  CHECK(idx.import.limit == 50);
  CHECK(idx.import.shuffle);
  CHECK(idx.import.split == doctest::Approx(0.25));
  CHECK(idx.import.split_output == "te.h5");
  CHECK(idx.import.compress);

  const data::ImportRun audio = data::resolve_import("audio", {{"input", "d"}});
  CHECK(audio.audio.sample_rate == 16000);
  CHECK(audio.audio.seconds == 0);
  CHECK_FALSE(audio.audio.skip_bad);
  CHECK(data::resolve_import("audio", {{"input", "d"}, {"--sample-rate", 8000}, {"--seconds", 0.5}})
            .audio.sample_rate == 8000);
}
