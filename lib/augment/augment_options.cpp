#include "augment/augment_options.hpp"

#include "core/error.hpp"
#include "data/image_source.hpp"

namespace sslkit::augment {

using json = nlohmann::ordered_json;
using Type = OptionSpec::Type;

namespace {

std::function<std::string(const AugmentFacts&)> only(const char* modality) {
  return [modality](const AugmentFacts& f) {
    return f.modality == modality ? std::string() : f.file + " is an " + f.modality + " file";
  };
}

bool named_recipe(const std::string& r) {
  for (const char* n : {"simclr", "mocov2", "byol", "rotation", "audio"})
    if (r == n) return true;
  return false;
}

std::vector<AugmentRow> rows() {
  const AugmentOptions d;  // the defaults, where the struct keeps them
  const auto images = only("image"), audio = only("audio");
  return {
      {{.flag = "--recipe", .type = Type::text,
        .help = "simclr, mocov2, byol, rotation (images), audio, or a custom string such as "
                "\"crop(0.2,1) flip(0.5) jitter(0.4,0.4,0.4,0.1,p=0.8) gray(0.2) blur(0.1,2,p=0.5)\" [default simclr "
                "for images, audio for audio]"}},
      {{.flag = "--views", .type = Type::integer,
        .help = "Views per sample (0 = the recipe's default: 2, or 4 for rotation)", .min = 0, .max = 64},
       "sets the views per sample",
       [](const AugmentFacts& f) {
         const int v = f.given["--views"].get<int>();
         return f.given.contains("--apply") && f.given["--apply"].get<bool>() && v != 0 && v != 1
                    ? std::string("--apply writes one view per clip: drop --views or pass 1")
                    : std::string();
       }},
      {{.flag = "--strength", .type = Type::real, .fallback = d.strength,
        .help = "SimCLR color-jitter strength (1.0 ImageNet, 0.5 CIFAR)", .min = 0, .max = 2},
       "sets the simclr recipe's color jitter",
       [](const AugmentFacts& f) {
         if (f.recipe == "simclr") return std::string();
         return named_recipe(f.recipe) ? "the recipe is " + f.recipe
                                       : std::string("a custom recipe sets its own jitter(...)");
       }},
      {{.flag = "--size", .type = Type::integer, .help = "Output image side (default: the input's)", .min = 0,
        .max = data::kMaxOutputSide},
       "sets the side of image views", images},
      {{.flag = "--seconds", .type = Type::real, .help = "Output clip length for audio (default: the input's)",
        .min = 0},
       "sets the length of audio views", audio},
      {{.flag = "--apply", .type = Type::flag, .fallback = false,
        .help = "Audio: write each clip's one augmented view in place of the original (a plain audio file)"},
       "is for audio files",
       [audio](const AugmentFacts& f) {
         const std::string why = audio(f);
         return why.empty() ? why : why + " (image views are written as /views)";
       }},
      {{.flag = "--preview", .type = Type::output,
        .help = "Images: PNG with the originals in the first column and their views beside them"},
       "draws image views", images},
      {{.flag = "--preview-count", .type = Type::integer, .fallback = d.preview_count,
        .help = "Samples in the preview", .min = 1, .max = 256},
       "goes with --preview",
       [](const AugmentFacts& f) {
         return f.given.contains("--preview") ? std::string() : std::string("--preview is not given");
       }},
  };
}

}  // namespace

const std::vector<AugmentRow>& augment_options() {
  static const std::vector<AugmentRow> table = rows();
  return table;
}

std::vector<OptionSpec> augment_option_specs() { return specs_with_defaults(augment_options()); }

std::string augment_recipe(const json& given, const std::string& modality) {
  if (given.contains("--recipe")) return given["--recipe"].get<std::string>();
  return modality == "audio" ? "audio" : "simclr";
}

AugmentOptions resolve_augment(const json& given, const std::string& modality, const std::string& file) {
  AugmentOptions o;
  o.recipe = augment_recipe(given, modality);
  if (const std::string why = inapplicable(augment_options(), given, AugmentFacts{modality, file, o.recipe, given});
      !why.empty())
    throw UsageError(why);
  take_given(given, "--views", o.views);
  take_given(given, "--strength", o.strength);
  take_given(given, "--size", o.size);
  take_given(given, "--seconds", o.seconds);
  take_given(given, "--apply", o.apply);
  take_given(given, "--preview", o.preview);
  take_given(given, "--preview-count", o.preview_count);
  return o;
}

}  // namespace sslkit::augment
