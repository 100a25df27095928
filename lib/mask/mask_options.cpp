#include "mask/mask_options.hpp"

#include <sstream>

#include "core/error.hpp"

namespace sslkit::mask {

using json = nlohmann::ordered_json;
using Type = OptionSpec::Type;

namespace {

std::function<std::string(const MaskFacts&)> only_schemes(std::vector<std::string> schemes) {
  return [schemes](const MaskFacts& f) {
    for (const std::string& s : schemes)
      if (f.scheme == s) return std::string();
    return "--scheme is " + f.scheme;
  };
}

// "M,R": of mlm's selected pieces, the fractions that become [MASK] and a
// random token; false when the text is not two such fractions.
bool parse_replace(const std::string& text, double& mask_replace, double& random_replace) {
  char comma = 0;
  std::istringstream in(text);
  return (in >> mask_replace >> comma >> random_replace) && comma == ',' && (in >> std::ws).eof() &&
         mask_replace >= 0 && random_replace >= 0 && mask_replace + random_replace <= 1 + 1e-9;
}

std::vector<MaskRow> rows() {
  const MaskOptions d;  // the defaults, where the struct keeps them
  const auto mlm = only_schemes({"mlm"}), block = only_schemes({"block"}), span = only_schemes({"span"});
  return {
      {{.flag = "--scheme", .type = Type::text,
        .help = "mlm (text: BERT), patch (images: MAE), block (images: BEiT) or span (audio: wav2vec 2.0)",
        .choices = {"mlm", "patch", "block", "span"}, .required = true}},
      {{.flag = "--ratio", .type = Type::real,
        .help = "mlm: selection probability [default 0.15]; patch: masked fraction [default 0.75]; block: target "
                "[default 0.4]",
        .min = 0, .max = 1},
       "goes with --scheme mlm, patch or block", only_schemes({"mlm", "patch", "block"})},
      {{.flag = "--replace", .type = Type::text,
        .fallback = "0.8,0.1",
        .help = "mlm: of the selected, the [MASK] and random-token fractions M,R (the rest stay)"},
       "splits mlm's selected pieces",
       [mlm](const MaskFacts& f) {
         if (std::string why = mlm(f); !why.empty()) return why;
         return f.given.contains("--whole-word") ? std::string("--whole-word makes every selected piece [MASK]")
                                                 : std::string();
       }},
      {{.flag = "--whole-word", .type = Type::flag, .fallback = false,
        .help = "mlm: select whole words and mask all their pieces"},
       "goes with --scheme mlm", mlm},
      {{.flag = "--patch", .type = Type::integer, .fallback = d.patch, .help = "patch, block: patch side in pixels",
        .min = 1, .max = 4096},
       "goes with --scheme patch or block", only_schemes({"patch", "block"})},
      {{.flag = "--min-patches", .type = Type::integer, .fallback = d.block.min_patches,
        .help = "block: smallest block in patches", .min = 1, .max = 1 << 20},
       "goes with --scheme block", block},
      {{.flag = "--min-aspect", .type = Type::real, .fallback = d.block.min_aspect,
        .help = "block: aspect ratios in [a, 1/a]", .min = 0.01, .max = 1},
       "goes with --scheme block", block},
      {{.flag = "--frame-samples", .type = Type::integer, .fallback = d.frame_samples,
        .help = "span: audio samples per frame (320 = 20 ms at 16 kHz)", .min = 1, .max = 1 << 20},
       "goes with --scheme span", span},
      {{.flag = "--mask-prob", .type = Type::real, .fallback = d.span.mask_prob,
        .help = "span: probability that a frame starts a span", .min = 0, .max = 1},
       "goes with --scheme span", span},
      {{.flag = "--span", .type = Type::integer, .fallback = d.span.span, .help = "span: frames per span", .min = 1,
        .max = 1 << 20},
       "goes with --scheme span", span},
      {{.flag = "--min-masks", .type = Type::integer, .fallback = d.span.min_masks,
        .help = "span: spans per sample at least", .min = 0, .max = 1 << 20},
       "goes with --scheme span", span},
      {{.flag = "--preview", .type = Type::output,
        .help = "PNG: images over their masked versions, or waveforms with spans shaded"},
       "is for image and audio files",
       [](const MaskFacts& f) {
         return f.scheme == "mlm" ? std::string("--scheme mlm masks text: use --show N") : std::string();
       }},
      {{.flag = "--preview-count", .type = Type::integer, .fallback = d.preview_count,
        .help = "Samples in the preview", .min = 1, .max = 256},
       "goes with --preview",
       [](const MaskFacts& f) {
         return f.given.contains("--preview") ? std::string() : std::string("--preview is not given");
       }},
      {{.flag = "--show", .type = Type::integer,
        .help = "mlm: print this many samples on stderr, selected pieces as [original->input]", .min = 0,
        .max = 1 << 20},
       "is for text (mlm)",
       [mlm](const MaskFacts& f) {
         const std::string why = mlm(f);
         return why.empty() ? why : why + ": use --preview for images and audio";
       }},
  };
}

}  // namespace

const std::vector<MaskRow>& mask_options() {
  static const std::vector<MaskRow> table = rows();
  return table;
}

std::vector<OptionSpec> mask_option_specs() { return specs_with_defaults(mask_options()); }

MaskOptions resolve_mask(const json& given) {
  MaskOptions o;
  take_given(given, "--scheme", o.scheme);
  if (const std::string why = inapplicable(mask_options(), given, MaskFacts{o.scheme, given}); !why.empty())
    throw UsageError(why);
  take_given(given, "--ratio", o.ratio);
  if (given.contains("--replace") &&
      !parse_replace(given["--replace"].get<std::string>(), o.mlm.mask_replace, o.mlm.random_replace))
    throw UsageError("--replace must be two fractions M,R with M + R <= 1, e.g. 0.8,0.1");
  take_given(given, "--whole-word", o.mlm.whole_word);
  take_given(given, "--patch", o.patch);
  take_given(given, "--min-patches", o.block.min_patches);
  take_given(given, "--min-aspect", o.block.min_aspect);
  take_given(given, "--frame-samples", o.frame_samples);
  take_given(given, "--mask-prob", o.span.mask_prob);
  take_given(given, "--span", o.span.span);
  take_given(given, "--min-masks", o.span.min_masks);
  take_given(given, "--preview", o.preview);
  take_given(given, "--preview-count", o.preview_count);
  take_given(given, "--show", o.show);
  return o;
}

}  // namespace sslkit::mask
