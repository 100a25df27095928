// ssl-import: raw data (IDX, image folders, text, audio) to SSL-HDF5.
#include <functional>
#include <memory>

#include "cli/tool.hpp"
#include "data/idx_source.hpp"
#include "data/import.hpp"
#include "data/text_source.hpp"
#include "data/audio_source.hpp"
#include "data/image_source.hpp"
#include "models/text_encoder.hpp"

using namespace sslkit;

// The options every import mode shares: -o and friends, --limit, --shuffle,
// --split, --split-output, --compress.
static void add_import_options(cli::Tool& tool, CLI::App& sub, data::ImportOptions& o) {
  tool.add_common(sub);
  sub.add_option("--limit", o.limit, "Import at most this many samples (0 = all)")
      ->check(cli::non_negative());
  sub.add_flag("--shuffle", o.shuffle, "Shuffle the samples (with --seed)");
  sub.add_option("--split", o.split, "Fraction held out into --split-output, stratified by label")
      ->check(CLI::Range(0.0, 0.99));
  tool.add_output(sub, "--split-output", o.split_output, "Output file for the held-out part");
  sub.add_flag("--compress", o.compress, "Deflate the sample datasets (smaller, slower to read)");
}

int main(int argc, char** argv) {
  cli::Tool tool("ssl-import", "Import raw data into SSL-HDF5 files.");
  auto& app = tool.app();
  app.require_subcommand(1);
  data::ImportOptions opts;
  // Each mode sets `make_source`; its files are declared inputs of the tool.
  std::function<std::unique_ptr<data::ImportSource>()> make_source;

  std::string idx_images, idx_labels, idx_class_names;
  auto* idx = app.add_subcommand("idx", "MNIST-format IDX files (gzipped or not)");
  tool.add_input(*idx, "images", idx_images, "IDX images file, e.g. train-images-idx3-ubyte.gz")->required();
  tool.add_input(*idx, "labels", idx_labels, "IDX labels file (optional)");
  idx->add_option("--class-names", idx_class_names, "Comma-separated class names for the label values 0, 1, ...");
  add_import_options(tool, *idx, opts);
  idx->final_callback([&] {
    make_source = [&] { return std::make_unique<data::IdxSource>(idx_images, idx_labels, idx_class_names); };
  });

  data::TextImportOptions text;
  auto* txt = app.add_subcommand("text", "Text files: one sample per line, or %-separated records (fortune files)");
  tool.add_inputs(*txt, "files", text.files, "Text files; with several, each file is a class")->required();
  txt->add_option("--records", text.records, "line, percent (a line holding only % ends a record) or auto")
      ->check(CLI::IsMember({"line", "percent", "auto"}));
  txt->add_option("--vocab-size", text.vocab_size, "Vocabulary size of the SentencePiece model trained on the input")
      ->check(CLI::Range(6, 1 << 20));
  tool.add_input(*txt, "--tokenizer", text.tokenizer_path, "Use this SentencePiece .model instead of training one");
  txt->add_option("--max-len", text.max_len,
                  "Most tokens per sample, [CLS] and [SEP] included (longer ones are cut; rows are padded only to the "
                  "longest); at most the text encoders' " + std::to_string(models::kMaxTextPositions) + " positions")
      ->check(CLI::Range(int64_t{2}, models::kMaxTextPositions));
  add_import_options(tool, *txt, opts);
  txt->final_callback([&] {
    text.vocab_size_given = txt->get_option("--vocab-size")->count() > 0;
    make_source = [&] { return std::make_unique<data::TextSource>(text, opts); };
  });

  data::AudioImportOptions aud;
  auto* audio = app.add_subcommand(
      "audio", "Audio files (anything libsndfile reads): class subfolders as labels, or flat; or a list file");
  tool.add_input(*audio, "input", aud.input, "Folder of audio files or class subfolders, or a list file of 'path [class]' lines")
      ->required();
  audio->add_option("--sample-rate", aud.sample_rate, "Output sample rate in Hz (clips are resampled to it)")
      ->check(CLI::Range(data::kMinSampleRate, data::kMaxSampleRate));
  audio->add_option("--seconds", aud.seconds,
                    "Clip length: longer clips are cut, shorter ones zero-padded (0 = the longest clip)")
      ->check(CLI::Range(0.0, 86400.0));
  audio->add_flag("--skip-bad", aud.skip_bad, "Skip and count files libsndfile cannot read instead of failing");
  add_import_options(tool, *audio, opts);
  audio->final_callback([&] {
    make_source = [&] { return std::make_unique<data::AudioSource>(aud); };
  });

  data::ImageImportOptions img;
  auto* images = app.add_subcommand("images", "A folder of images: class subfolders as labels, or flat; or a list file");
  tool.add_input(*images, "input", img.input, "Folder of images or class subfolders, or a list file of 'path [class]' lines")
      ->required();
  images->add_option("--size", img.size, "Output side in pixels: shorter side resized, then center-cropped")
      ->check(CLI::Range(1, data::kMaxOutputSide));
  images->add_flag("--gray", img.gray, "One gray channel instead of RGB");
  images->add_option("--fit", img.fit, "crop (keep aspect, center crop) or stretch")
      ->check(CLI::IsMember({"crop", "stretch"}));
  images->add_flag("--skip-bad", img.skip_bad, "Skip and count unreadable images instead of failing");
  images->add_option("--background", img.background,
                     "What transparent pixels of PNG and WebP images with alpha are composited over: white, black, "
                     "gray or #RRGGBB (an icon's transparent pixels would otherwise come out black)")
      ->capture_default_str();
  add_import_options(tool, *images, opts);
  images->final_callback([&] {
    make_source = [&] { return std::make_unique<data::ImageSource>(img); };
  });

  return tool.run(argc, argv, [&] {
    opts.seed = tool.common().seed;
    opts.output = tool.common().output;
    opts.command_line = tool.command_line();
    data::check_outputs(opts);
    auto source = make_source();
    data::run_import(*source, opts);
  });
}
