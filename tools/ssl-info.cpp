// ssl-info: prints what an SSL-HDF5 data file or a model file holds, and
// draws training curves from model files and --log-json logs.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "cli/tool.hpp"
#include "info/describe.hpp"
#include "info/run_curves.hpp"
#include "info/fill_mask.hpp"
#include "train/reconstruct.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool("ssl-info", "Print what an SSL-HDF5 data file or a model file holds; draw training curves.");
  auto& app = tool.app();
  info::InfoOptions opts;
  std::vector<std::string> inputs;
  tool.add_inputs(app, "input", inputs,
                 "Data or model file ('-' for stdin), or an ssl-pretrain --log-json log (.jsonl); several model files "
                 "or logs are drawn together by --preview")
      ->required();
  app.add_flag("--json", opts.json, "Print JSON for scripts");
  tool.add_output(app, "--preview", opts.preview,
                 "Write a PNG of the first samples (image grid, waveforms); for text, print decoded samples; for "
                 "model files and logs, their training curves");
  app.add_option("--reference", opts.references,
                 "A labelled horizontal line on the curves' kNN accuracy panel, LABEL=ACCURACY, e.g. \"kNN raw "
                 "pixels=0.789\" (repeatable)")
      ->allow_extra_args(false);
  app.add_flag("--verify", opts.verify, "Read every sample of every dataset to check the data itself");
  app.add_option("--preview-count", opts.preview_count, "Samples in the preview")->check(CLI::Range(1, 4096));
  std::string sentence;
  int top_k = 5;
  app.add_option("--predict", sentence,
                 "Masked language model: print the top tokens for each [MASK] of this sentence, "
                 "e.g. \"the cat sat on the [MASK]\"");
  app.add_option("--top", top_k, "Tokens listed per [MASK] with --predict")->check(CLI::Range(1, 1000));
  std::string recon_images;
  tool.add_input(app, "--reconstruct", recon_images,
                 "Masked image model (mae): draw what it fills in for --preview-count images of this file into the "
                 "--preview PNG (original, masked, reconstruction, with visible patches)");
  tool.add_common(app, /*output=*/false);
  return tool.run(argc, argv, [&] {
    opts.input = inputs[0];
    const bool predict = app.get_option("--predict")->count() > 0;
    if (predict && sentence.find_first_not_of(" \t\r\n") == std::string::npos)
      throw UsageError("--predict wants a sentence with [MASK] in it, e.g. \"the cat sat on the [MASK]\"; got an empty one");
    if (*app.get_option("--top") && !predict) throw UsageError("--top counts the tokens listed by --predict: give one");
    if (predict)
      // --predict prints its guesses (as JSON with --json): nothing else is drawn or checked with it.
      for (const char* o : {"--preview", "--preview-count", "--reference", "--verify"})
        if (*app.get_option(o)) throw UsageError(std::string(o) + " does not go with --predict, which only prints the guesses");
    if (inputs.size() > 1 || info::is_training_log(inputs[0])) {
      // Training curves of logs (or of several runs): nothing else to say of them.
      for (const char* o : {"--json", "--verify", "--predict", "--reconstruct", "--preview-count"})
        if (*app.get_option(o))
          throw UsageError(std::string(o) + " describes one data or model file, not " +
                           (inputs.size() > 1 ? "several files" : "a JSON log"));
      if (inputs.size() > 1 && opts.preview.empty())
        throw UsageError("several files are drawn together as training curves: give --preview curves.png");
      if (!opts.references.empty() && opts.preview.empty())
        throw UsageError("--reference draws on the training curves of --preview: give one");
      return info::run_curves(inputs, opts, std::cout);
    }
    if (!opts.references.empty() && opts.preview.empty())
      throw UsageError("--reference draws on the training curves of --preview: give one");
    if (!recon_images.empty()) {
      if (opts.preview.empty()) throw UsageError("--reconstruct draws into the --preview PNG: give one");
      if (!sentence.empty()) throw UsageError("--reconstruct and --predict exclude each other");
      train::reconstruct_file(opts.input, recon_images, *app.get_option("--preview-count") ? opts.preview_count : 8,
                              tool.common().seed, opts.preview);
      std::cout << "reconstructions of " << recon_images << " written to " << opts.preview << std::endl;
      return;
    }
    if (sentence.empty()) return info::run_info(opts, std::cout);
    const info::FillMask f = info::fill_mask(opts.input, sentence, top_k);
    if (opts.json) {
      nlohmann::ordered_json j, masks = nlohmann::ordered_json::array();
      j["file"] = opts.input == "-" ? "stdin" : opts.input;
      j["sentence"] = sentence;
      for (const auto& m : f.masks) {
        nlohmann::ordered_json guesses = nlohmann::ordered_json::array();
        for (const auto& g : m) guesses.push_back({{"token", g.piece}, {"id", g.id}, {"probability", g.probability}});
        masks.push_back(guesses);
      }
      j["masks"] = masks;
      j["filled"] = f.filled;
      // Tokens of invalid UTF-8 input decode to replacement characters, not an exception.
      std::cout << j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << std::endl;
      return;
    }
    for (size_t m = 0; m < f.masks.size(); ++m) {
      std::cout << "[MASK] " << m + 1 << ":";
      for (const auto& g : f.masks[m]) std::printf(" \"%s\" %.3f", g.piece.c_str(), g.probability);
      std::cout << std::endl;
    }
    std::cout << f.filled << std::endl;
  });
}
