// ssl-augment's options without reading a file: what each modality and
// recipe takes, what it refuses, and the defaults the run reads.
#include <doctest/doctest.h>

#include <iterator>
#include <set>

#include "augment/augment_options.hpp"
#include "core/error.hpp"

using namespace sslkit;
using json = nlohmann::ordered_json;

namespace {
std::string refusal(const json& given, const std::string& modality) {
  try {
    augment::resolve_augment(given, modality, modality == "image" ? "img.h5" : "a.h5");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("augment defaults: each modality's own recipe") {
  const augment::AugmentOptions i = augment::resolve_augment(json::object(), "image", "img.h5");
  CHECK(i.recipe == "simclr");
  CHECK(i.views == 0);
  CHECK(i.strength == doctest::Approx(1.0));
  CHECK(i.size == 0);
  CHECK(i.seconds == 0);
  CHECK(!i.apply);
  CHECK(i.preview.empty());
  CHECK(i.preview_count == 8);
  CHECK(augment::resolve_augment(json::object(), "audio", "a.h5").recipe == "audio");
  CHECK(augment::resolve_augment({{"--recipe", "mocov2"}}, "image", "img.h5").recipe == "mocov2");
}

TEST_CASE("augment options the input or the recipe does not use are refused naming the option and why") {
  struct Case {
    json given;
    const char* modality;
    const char* message;
  };
  const std::vector<Case> cases = {
      {{{"--apply", true}, {"--views", 2}}, "audio",
       "--views sets the views per sample; --apply writes one view per clip: drop --views or pass 1"},
      {{{"--recipe", "mocov2"}, {"--strength", 0.5}}, "image",
       "--strength sets the simclr recipe's color jitter; the recipe is mocov2"},
      {{{"--size", 32}}, "audio", "--size sets the side of image views; a.h5 is an audio file"},
      {{{"--seconds", 0.5}}, "image", "--seconds sets the length of audio views; img.h5 is an image file"},
      {{{"--apply", true}}, "image",
       "--apply is for audio files; img.h5 is an image file (image views are written as /views)"},
      {{{"--preview", "p.png"}}, "audio", "--preview draws image views; a.h5 is an audio file"},
      {{{"--preview-count", 3}}, "image", "--preview-count goes with --preview; --preview is not given"},
  };
  std::set<std::string> refused;
  for (const Case& c : cases) {
    CAPTURE(c.given.dump());
    CHECK(refusal(c.given, c.modality) == c.message);
    refused.insert(std::prev(c.given.end()).key());  // each case's last option is the one refused
  }
  // Every rule has its case above, so a new rule comes with its test.
  for (const augment::AugmentRow& r : augment::augment_options())
    if (r.unless) {
      CAPTURE(r.spec.flag);
      CHECK(refused.count(r.spec.flag) == 1);
    }
  // --strength with every recipe but simclr, named or custom, on either modality.
  CHECK(refusal({{"--recipe", "rotation"}, {"--strength", 0.5}}, "image") ==
        "--strength sets the simclr recipe's color jitter; the recipe is rotation");
  CHECK(refusal({{"--recipe", "flip(0.5)"}, {"--strength", 0.5}}, "image") ==
        "--strength sets the simclr recipe's color jitter; a custom recipe sets its own jitter(...)");
  CHECK(refusal({{"--strength", 0.5}}, "audio") ==
        "--strength sets the simclr recipe's color jitter; the recipe is audio");
  CHECK(refusal({{"--preview-count", 3}}, "audio") == "--preview-count goes with --preview; --preview is not given");
  // Where they apply they are taken.
  CHECK(refusal({{"--strength", 0.5}}, "image").empty());
  CHECK(refusal({{"--recipe", "simclr"}, {"--strength", 0.5}, {"--views", 3}, {"--size", 32},
                 {"--preview", "p.png"}, {"--preview-count", 2}},
                "image")
            .empty());
  CHECK(refusal({{"--apply", true}, {"--views", 1}, {"--seconds", 0.25}}, "audio").empty());
  CHECK(refusal({{"--apply", true}, {"--views", 0}}, "audio").empty());
  CHECK(refusal({{"--views", 4}, {"--seconds", 0.5}}, "audio").empty());
}

TEST_CASE("augment options given are the run's values") {
  const augment::AugmentOptions i = augment::resolve_augment(
      {{"--recipe", "simclr"}, {"--strength", 0.5}, {"--views", 3}, {"--size", 32}, {"--preview", "p.png"},
       {"--preview-count", 2}},
      "image", "img.h5");
  CHECK(i.recipe == "simclr");
  CHECK(i.strength == doctest::Approx(0.5));
  CHECK(i.views == 3);
  CHECK(i.size == 32);
  CHECK(i.preview == "p.png");
  CHECK(i.preview_count == 2);
  const augment::AugmentOptions a = augment::resolve_augment(
      {{"--recipe", "gain(-6,6,p=1)"}, {"--apply", true}, {"--seconds", 0.25}}, "audio", "a.h5");
  CHECK(a.recipe == "gain(-6,6,p=1)");
  CHECK(a.apply);
  CHECK(a.seconds == doctest::Approx(0.25));
}
