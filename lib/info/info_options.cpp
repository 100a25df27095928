#include "info/info_options.hpp"

#include "core/error.hpp"

namespace sslkit::info {

using json = nlohmann::ordered_json;
using Type = OptionSpec::Type;

namespace {

// Why an option of one file's description does not apply to curves.
std::string curves_why(const InfoFacts& f) {
  return f.files > 1 ? std::to_string(f.files) + " files are drawn together as training curves"
                     : f.log + " is a training log";
}

const char* const kPredictWhy = "--predict only prints its guesses";
const char* const kReconstructWhy = "--reconstruct only draws its images";

std::vector<InfoRow> rows() {
  return {
      {{.flag = "--json", .type = Type::flag, .fallback = false, .help = "Print JSON for scripts"},
       "describes one data or model file",
       [](const InfoFacts& f) -> std::string {
         if (f.curves()) return curves_why(f);
         return f.given.contains("--reconstruct") ? kReconstructWhy : "";
       }},
      {{.flag = "--preview", .type = Type::output,
        .help = "Write a PNG of the first samples (image grid, waveforms); for text, print decoded samples; for "
                "model files and logs, their training curves"},
       "draws a data file's samples, training curves or --reconstruct's images",
       [](const InfoFacts& f) -> std::string { return f.given.contains("--predict") ? kPredictWhy : ""; }},
      {{.flag = "--preview-count", .type = Type::integer,
        .help = "Samples in the preview of a data file [default 64] or of --reconstruct [default 8]", .min = 1,
        .max = 4096},
       "counts the samples of a data file's --preview or of --reconstruct",
       [](const InfoFacts& f) -> std::string {
         if (f.curves()) return curves_why(f);
         if (f.given.contains("--predict")) return kPredictWhy;
         if (!f.given.contains("--preview") && !f.given.contains("--reconstruct"))
           return "neither --preview nor --reconstruct is given";
         return "";
       }},
      {{.flag = "--reference", .type = Type::text,
        .help = "A labelled horizontal line on the curves' kNN accuracy panel, LABEL=ACCURACY, e.g. \"kNN raw "
                "pixels=0.789\" (repeatable)",
        .repeatable = true},
       "draws on the training curves of --preview",
       [](const InfoFacts& f) -> std::string {
         if (!f.given.contains("--preview")) return "--preview is not given";
         return f.given.contains("--reconstruct") ? "--reconstruct draws images, not curves" : "";
       }},
      {{.flag = "--verify", .type = Type::flag, .fallback = false,
        .help = "Read every sample of every dataset to check the data itself"},
       "checks one data or model file",
       [](const InfoFacts& f) -> std::string {
         if (f.curves()) return curves_why(f);
         if (f.given.contains("--predict")) return kPredictWhy;
         return f.given.contains("--reconstruct") ? kReconstructWhy : "";
       }},
      {{.flag = "--predict", .type = Type::text,
        .help = "Masked language model: print the top tokens for each [MASK] of this sentence, e.g. \"the cat sat "
                "on the [MASK]\""},
       "asks one masked language model",
       [](const InfoFacts& f) { return f.curves() ? curves_why(f) : std::string(); }},
      {{.flag = "--top", .type = Type::integer, .fallback = 5, .help = "Tokens listed per [MASK] with --predict",
        .min = 1, .max = 1000},
       "counts the tokens listed by --predict",
       [](const InfoFacts& f) { return f.given.contains("--predict") ? std::string() : "--predict is not given"; }},
      {{.flag = "--reconstruct", .type = Type::input,
        .help = "Masked image model (mae): draw what it fills in for --preview-count images of this file into the "
                "--preview PNG (original, masked, reconstruction, with visible patches)"},
       "draws into the --preview PNG",
       [](const InfoFacts& f) -> std::string {
         if (f.curves()) return curves_why(f);
         return f.given.contains("--preview") ? "" : "--preview is not given";
       }},
  };
}

}  // namespace

const std::vector<InfoRow>& info_options() {
  static const std::vector<InfoRow> table = rows();
  return table;
}

std::vector<OptionSpec> info_option_specs() { return specs_with_defaults(info_options()); }

InfoRun resolve_info(const json& given, const std::vector<std::string>& inputs, bool log) {
  if (inputs.empty()) throw UsageError("no input file given");
  const InfoFacts facts{given, inputs.size(), inputs.size() == 1 && log ? inputs[0] : ""};
  if (given.contains("--predict") && given.contains("--reconstruct"))
    throw UsageError("--reconstruct and --predict exclude each other");
  if (const std::string why = inapplicable(info_options(), given, facts); !why.empty()) throw UsageError(why);

  InfoRun run;
  run.inputs = inputs;
  InfoOptions& o = run.options;
  o.input = inputs[0];
  take_given(given, "--json", o.json);
  take_given(given, "--preview", o.preview);
  take_given(given, "--preview-count", o.preview_count);
  take_given(given, "--reference", o.references);
  take_given(given, "--verify", o.verify);
  take_given(given, "--predict", run.sentence);
  take_given(given, "--top", run.top);
  take_given(given, "--reconstruct", run.images);
  if (facts.curves()) {
    if (inputs.size() > 1 && o.preview.empty())
      throw UsageError("several files are drawn together as training curves: give --preview curves.png");
    run.job = InfoRun::Job::curves;
  } else if (!run.images.empty()) {
    run.job = InfoRun::Job::reconstruct;
    if (o.preview_count > 0) run.reconstruct_count = o.preview_count;
  } else if (given.contains("--predict")) {
    if (run.sentence.find_first_not_of(" \t\r\n") == std::string::npos)
      throw UsageError("--predict wants a sentence with [MASK] in it, e.g. \"the cat sat on the [MASK]\"; got an "
                       "empty one");
    run.job = InfoRun::Job::predict;
  }
  return run;
}

}  // namespace sslkit::info
