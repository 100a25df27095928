#include "apps/import_options.hpp"

#include "io/shard.hpp"

#include <map>

#include "core/error.hpp"
#include "models/text_encoder.hpp"

namespace sslkit::data {

using json = nlohmann::ordered_json;
using Type = OptionSpec::Type;

namespace {

// Why an option that needs `flag` beside it does not apply.
std::function<std::string(const ImportFacts&)> needs(std::string flag, std::string why) {
  return [flag, why](const ImportFacts& f) { return f.given.contains(flag) ? std::string() : why; };
}

std::vector<ImportRow> idx_rows() {
  return {
      {{.flag = "images", .type = Type::input, .help = "IDX images file, e.g. train-images-idx3-ubyte.gz",
        .required = true}},
      {{.flag = "labels", .type = Type::input, .help = "IDX labels file (optional)"}},
      {{.flag = "--class-names", .type = Type::text,
        .help = "Comma-separated class names for the label values 0, 1, ..."},
       "names the values of the labels file", needs("labels", "no labels file is given")},
  };
}

std::vector<ImportRow> image_rows() {
  const ImageImportOptions d;
  return {
      {{.flag = "input", .type = Type::input,
        .help = "Folder of images or class subfolders, or a list file of 'path [class]' lines", .required = true}},
      {{.flag = "--size", .type = Type::integer,
        .help = "Output side in pixels: shorter side resized, then center-cropped (default: the images' own size, "
                "which all must share)",
        .min = 1, .max = kMaxOutputSide}},
      {{.flag = "--gray", .type = Type::flag, .fallback = d.gray, .help = "One gray channel instead of RGB"}},
      {{.flag = "--fit", .type = Type::text, .fallback = d.fit, .help = "crop (keep aspect, center crop) or stretch",
        .choices = {"crop", "stretch"}},
       "says how images are resized to --size", needs("--size", "--size is not given: the images keep their size")},
      {{.flag = "--skip-bad", .type = Type::flag, .fallback = d.skip_bad,
        .help = "Skip and count unreadable images instead of failing"}},
      {{.flag = "--background", .type = Type::text, .fallback = d.background,
        .help = "What transparent pixels of PNG and WebP images with alpha are composited over: white, black, "
                "gray or #RRGGBB (an icon's transparent pixels would otherwise come out black)"}},
  };
}

std::vector<ImportRow> text_rows() {
  const TextImportOptions d;
  return {
      {{.flag = "--records", .type = Type::text, .fallback = d.records,
        .help = "line, percent (a line holding only % ends a record), paragraph (a blank line ends one) or auto "
                "(percent when a line is only %, else line; per file with --unlabelled)",
        .choices = {"line", "percent", "paragraph", "auto"}}},
      {{.flag = "--unlabelled", .type = Type::flag, .fallback = d.unlabelled,
        .help = "The inputs (files, and directories read recursively; plain or gzip) are one unlabelled corpus, "
                "streamed: no /labels, memory flat whatever its size"}},
      {{.flag = "--vocab-size", .type = Type::integer, .fallback = d.vocab_size,
        .help = "Vocabulary size of the SentencePiece model trained on the input", .min = 6, .max = 1 << 20},
       "sizes a tokenizer trained on the input",
       [](const ImportFacts& f) {
         return f.given.contains("--tokenizer")
                    ? "--tokenizer " + f.given["--tokenizer"].get<std::string>() + " brings its own vocabulary"
                    : std::string();
       }},
      {{.flag = "--tokenizer", .type = Type::input,
        .help = "Use this tokenizer instead of training one: a SentencePiece .model, BERT's WordPiece as "
                "vocab.txt (flags from the tokenizer_config.json beside it) or tokenizer.json, or the /tokenizer "
                "of an sslkit text data file or model file (.h5: one vocabulary for a corpus and a labelled task)"}},
      {{.flag = "--max-len", .type = Type::integer, .fallback = d.max_len,
        .help = "Most tokens per sample, [CLS] and [SEP] included (longer ones are cut; rows are padded only to the "
                "longest); at most the text encoders' " + std::to_string(models::kMaxTextPositions) + " positions",
        .min = 2, .max = static_cast<double>(models::kMaxTextPositions)}},
  };
}

std::vector<ImportRow> audio_rows() {
  const AudioImportOptions d;
  return {
      {{.flag = "input", .type = Type::input,
        .help = "Folder of audio files or class subfolders, or a list file of 'path [class]' lines",
        .required = true}},
      {{.flag = "--sample-rate", .type = Type::integer, .fallback = d.sample_rate,
        .help = "Output sample rate in Hz (clips are resampled to it)", .min = kMinSampleRate,
        .max = kMaxSampleRate}},
      {{.flag = "--seconds", .type = Type::real, .fallback = d.seconds,
        .help = "Clip length: longer clips are cut, shorter ones zero-padded (0 = the longest clip)", .min = 0,
        .max = 86400}},
      {{.flag = "--skip-bad", .type = Type::flag, .fallback = d.skip_bad,
        .help = "Skip and count files libsndfile cannot read instead of failing"}},
  };
}

std::vector<ImportRow> cifar_rows() {
  const CifarImportOptions d;
  return {
      {{.flag = "dir", .type = Type::input,
        .help = "The binary version's folder (cifar-10-batches-bin or cifar-100-binary), or the folder holding it",
        .required = true}},
      {{.flag = "--part", .type = Type::text, .fallback = d.part,
        .help = "Which of the published sets: train (CIFAR-10: data_batch_1.bin .. data_batch_5.bin) or test",
        .choices = {"train", "test"}}},
      {{.flag = "--labels", .type = Type::text,
        .help = "CIFAR-100's labels: fine (100 classes, the default) or coarse (20 superclasses)",
        .choices = {"fine", "coarse"}}},
  };
}

// A Hugging Face model directory (apps/import_model.hpp): no sample options.
std::vector<ImportRow> model_rows() {
  return {{{.flag = "dir", .type = Type::input,
            .help = "Hugging Face model directory: config.json and model.safetensors (or its shards)",
            .required = true}}};
}

// What every source takes, after its own options.
std::vector<ImportRow> shared_rows() {
  return {
      {{.flag = "--limit", .type = Type::integer, .fallback = 0,
        .help = "Import at most this many samples (0 = all)", .min = 0}},
      {{.flag = "--shuffle", .type = Type::flag, .fallback = false, .help = "Shuffle the samples (with --seed)"}},
      {{.flag = "--split", .type = Type::real, .help = "Fraction held out into --split-output, stratified by label",
        .min = 0, .max = 0.99}},
      {{.flag = "--split-output", .type = Type::output, .help = "Output file for the held-out part"},
       "takes the part --split holds out", needs("--split", "--split is not given")},
      {{.flag = "--compress", .type = Type::flag, .fallback = false,
        .help = "Deflate the sample datasets (smaller, slower to read)"}},
      {{.flag = "--shard", .type = Type::text, .help = io::kShardHelp, .value_name = "I/K"}},
  };
}

}  // namespace

const std::vector<std::string>& import_sources() {
  static const std::vector<std::string> sources{"idx", "images", "text", "audio", "cifar", "model"};
  return sources;
}

const std::vector<ImportRow>& import_options(const std::string& source) {
  static const std::map<std::string, std::vector<ImportRow>> tables = [] {
    std::map<std::string, std::vector<ImportRow>> t{
        {"idx", idx_rows()}, {"images", image_rows()}, {"text", text_rows()}, {"audio", audio_rows()},
        {"cifar", cifar_rows()}};
    for (auto& [name, rows] : t)
      for (ImportRow& r : shared_rows()) rows.push_back(std::move(r));
    t["model"] = model_rows();  // a model, not samples: none of the shared options
    return t;
  }();
  const auto it = tables.find(source);
  if (it == tables.end())
    throw UsageError("ssl-import has no source '" + source + "' (idx, images, text, audio, cifar or model)");
  return it->second;
}

std::vector<OptionSpec> import_option_specs(const std::string& source) {
  return specs_with_defaults(import_options(source));
}

ImportRun resolve_import(const std::string& source, const json& given) {
  if (const std::string why = inapplicable(import_options(source), given, ImportFacts{given}); !why.empty())
    throw UsageError(why);
  ImportRun r;
  r.source = source;
  if (source == "model") {
    take_given(given, "dir", r.model_dir);
    return r;
  }
  take_given(given, "--limit", r.import.limit);
  take_given(given, "--shuffle", r.import.shuffle);
  take_given(given, "--split", r.import.split);
  take_given(given, "--split-output", r.import.split_output);
  take_given(given, "--compress", r.import.compress);
  std::string shard;
  take_given(given, "--shard", shard);
  if (!shard.empty()) {
    r.import.shard = io::parse_shard(shard);
    // Shards join in id order: a shuffled or split order would not come back.
    if (r.import.shuffle) throw UsageError("--shard cannot go with --shuffle (ssl-cat joins shards in id order)");
    if (r.import.split > 0) throw UsageError("--shard cannot go with --split (split the joined file instead)");
  }
  check_outputs(r.import);
  if (source == "idx") {
    take_given(given, "images", r.idx.images);
    take_given(given, "labels", r.idx.labels);
    take_given(given, "--class-names", r.idx.class_names);
  } else if (source == "images") {
    take_given(given, "input", r.images.input);
    take_given(given, "--size", r.images.size);
    take_given(given, "--gray", r.images.gray);
    take_given(given, "--fit", r.images.fit);
    take_given(given, "--skip-bad", r.images.skip_bad);
    take_given(given, "--background", r.images.background);
  } else if (source == "text") {
    take_given(given, "--records", r.text.records);
    take_given(given, "--unlabelled", r.text.unlabelled);
    if (r.text.unlabelled && r.import.shuffle)
      throw UsageError("--shuffle cannot go with --unlabelled: a corpus is streamed in file order (ssl-pretrain "
                       "draws its batches in a new random order every epoch)");
    take_given(given, "--vocab-size", r.text.vocab_size);
    take_given(given, "--tokenizer", r.text.tokenizer_path);
    take_given(given, "--max-len", r.text.max_len);
  } else if (source == "cifar") {
    take_given(given, "dir", r.cifar.dir);
    take_given(given, "--part", r.cifar.part);
    take_given(given, "--labels", r.cifar.labels);
  } else {
    take_given(given, "input", r.audio.input);
    take_given(given, "--sample-rate", r.audio.sample_rate);
    take_given(given, "--seconds", r.audio.seconds);
    take_given(given, "--skip-bad", r.audio.skip_bad);
  }
  return r;
}

}  // namespace sslkit::data
