// ssl-mask's options without reading a file: what each scheme takes, what
// it refuses, and the defaults the run reads.
#include <doctest/doctest.h>

#include <iterator>
#include <set>

#include "core/error.hpp"
#include "mask/mask_options.hpp"

using namespace sslkit;
using json = nlohmann::ordered_json;

namespace {
std::string refusal(const json& given) {
  try {
    mask::resolve_mask(given);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("mask defaults: each scheme's own where --ratio is not given") {
  const mask::MaskOptions o = mask::resolve_mask({{"--scheme", "mlm"}});
  CHECK(o.scheme == "mlm");
  CHECK(o.ratio < 0);  // the scheme's own: mask_file reads 0.15, 0.75 or 0.4
  CHECK(o.mlm.mask_replace == doctest::Approx(0.8));
  CHECK(o.mlm.random_replace == doctest::Approx(0.1));
  CHECK(!o.mlm.whole_word);
  CHECK(o.patch == 4);
  CHECK(o.block.min_patches == 16);
  CHECK(o.block.min_aspect == doctest::Approx(0.3));
  CHECK(o.frame_samples == 320);
  CHECK(o.span.mask_prob == doctest::Approx(0.065));
  CHECK(o.span.span == 10);
  CHECK(o.span.min_masks == 2);
  CHECK(o.preview.empty());
  CHECK(o.preview_count == 8);
  CHECK(o.show == 0);
  // The help says the same defaults as the struct.
  for (const OptionSpec& s : mask::mask_option_specs())
    if (s.flag == "--replace") CHECK(s.help.find("[default 0.8,0.1]") != std::string::npos);
}

TEST_CASE("mask options a scheme does not read are refused naming the option and the scheme") {
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"--scheme", "span"}, {"--ratio", 0.5}}, "--ratio goes with --scheme mlm, patch or block; --scheme is span"},
      {{{"--scheme", "patch"}, {"--replace", "0.8,0.1"}}, "--replace splits mlm's selected pieces; --scheme is patch"},
      {{{"--scheme", "span"}, {"--whole-word", true}}, "--whole-word goes with --scheme mlm; --scheme is span"},
      {{{"--scheme", "mlm"}, {"--patch", 8}}, "--patch goes with --scheme patch or block; --scheme is mlm"},
      {{{"--scheme", "patch"}, {"--min-patches", 4}}, "--min-patches goes with --scheme block; --scheme is patch"},
      {{{"--scheme", "patch"}, {"--min-aspect", 0.5}}, "--min-aspect goes with --scheme block; --scheme is patch"},
      {{{"--scheme", "block"}, {"--frame-samples", 160}}, "--frame-samples goes with --scheme span; --scheme is block"},
      {{{"--scheme", "mlm"}, {"--mask-prob", 0.1}}, "--mask-prob goes with --scheme span; --scheme is mlm"},
      {{{"--scheme", "patch"}, {"--span", 3}}, "--span goes with --scheme span; --scheme is patch"},
      {{{"--scheme", "block"}, {"--min-masks", 1}}, "--min-masks goes with --scheme span; --scheme is block"},
      {{{"--scheme", "mlm"}, {"--preview", "p.png"}},
       "--preview is for image and audio files; --scheme mlm masks text: use --show N"},
      {{{"--scheme", "patch"}, {"--preview-count", 3}}, "--preview-count goes with --preview; --preview is not given"},
      {{{"--scheme", "span"}, {"--show", 2}},
       "--show is for text (mlm); --scheme is span: use --preview for images and audio"},
  };
  std::set<std::string> refused;
  // Not a structured binding: clang 14 (make fuzz's compiler) cannot capture one in CAPTURE's lambda.
  for (const auto& row : cases) {
    const json& given = row.first;
    const std::string& message = row.second;
    CAPTURE(given.dump());
    CHECK(refusal(given) == message);
    refused.insert(std::prev(given.end()).key());  // each case's last option is the one refused
  }
  // Every rule has its case above, so a new rule comes with its test.
  for (const mask::MaskRow& r : mask::mask_options())
    if (r.unless) {
      CAPTURE(r.spec.flag);
      CHECK(refused.count(r.spec.flag) == 1);
    }
  // --whole-word makes every selected piece [MASK]: a --replace split would be ignored.
  CHECK(refusal({{"--scheme", "mlm"}, {"--whole-word", true}, {"--replace", "0.5,0.2"}}) ==
        "--replace splits mlm's selected pieces; --whole-word makes every selected piece [MASK]");
  // Where they apply they are taken.
  CHECK(refusal({{"--scheme", "mlm"}, {"--ratio", 0.2}, {"--replace", "0.7,0.2"}, {"--show", 2}}).empty());
  CHECK(refusal({{"--scheme", "mlm"}, {"--whole-word", true}}).empty());
  CHECK(refusal({{"--scheme", "patch"}, {"--ratio", 0.5}, {"--patch", 7}, {"--preview", "p.png"},
                 {"--preview-count", 2}})
            .empty());
  CHECK(refusal({{"--scheme", "block"}, {"--min-patches", 4}, {"--min-aspect", 0.5}, {"--patch", 2}}).empty());
  CHECK(refusal({{"--scheme", "span"}, {"--frame-samples", 160}, {"--mask-prob", 0.1}, {"--span", 3},
                 {"--min-masks", 0}, {"--preview", "p.png"}})
            .empty());
}

TEST_CASE("mask --replace is two fractions M and R with M + R <= 1") {
  for (const char* bad : {"0.9,0.3", "0.8", "0.8;0.1", "0.8,0.1,0.1", "-0.1,0.5", "a,b", "0.8,0.1x", "nan,0.1"}) {
    CAPTURE(bad);
    CHECK(refusal({{"--scheme", "mlm"}, {"--replace", bad}}).rfind("--replace must be two fractions", 0) == 0);
  }
}

TEST_CASE("mask options given are the run's values") {
  const mask::MaskOptions m =
      mask::resolve_mask({{"--scheme", "mlm"}, {"--ratio", 0.2}, {"--replace", "0.6,0.3"}, {"--show", 3}});
  CHECK(m.ratio == doctest::Approx(0.2));
  CHECK(m.mlm.mask_replace == doctest::Approx(0.6));
  CHECK(m.mlm.random_replace == doctest::Approx(0.3));
  CHECK(m.show == 3);
  const mask::MaskOptions b =
      mask::resolve_mask({{"--scheme", "block"}, {"--patch", 2}, {"--min-patches", 5}, {"--min-aspect", 0.5},
                          {"--preview", "p.png"}, {"--preview-count", 3}});
  CHECK(b.scheme == "block");
  CHECK(b.patch == 2);
  CHECK(b.block.min_patches == 5);
  CHECK(b.block.min_aspect == doctest::Approx(0.5));
  CHECK(b.preview == "p.png");
  CHECK(b.preview_count == 3);
  const mask::MaskOptions s = mask::resolve_mask(
      {{"--scheme", "span"}, {"--frame-samples", 160}, {"--mask-prob", 0.1}, {"--span", 3}, {"--min-masks", 0}});
  CHECK(s.frame_samples == 160);
  CHECK(s.span.mask_prob == doctest::Approx(0.1));
  CHECK(s.span.span == 3);
  CHECK(s.span.min_masks == 0);
  CHECK(mask::resolve_mask({{"--scheme", "mlm"}, {"--whole-word", true}}).mlm.whole_word);
}
