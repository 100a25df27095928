// ssl-info: prints what an SSL-HDF5 data file or a model file holds, and
// draws training curves from model files and --log-json logs.
#include <cstdio>
#include <iostream>

#include "cli/tool.hpp"
#include "info/describe.hpp"
#include "info/run_curves.hpp"
#include "train/fill_mask.hpp"
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
    if (inputs.size() > 1 || info::is_training_log(inputs[0])) {
      // Training curves of logs (or of several runs): nothing else to say of them.
      for (const char* o : {"--json", "--verify", "--predict", "--reconstruct", "--preview-count"})
        if (*app.get_option(o))
          throw UsageError(std::string(o) + " describes one data or model file, not " +
                           (inputs.size() > 1 ? "several files" : "a JSON log"));
      if (inputs.size() > 1 && opts.preview.empty())
        throw UsageError("several files are drawn together as training curves: give --preview curves.png");
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
    const train::FillMask f = train::fill_mask(opts.input, sentence, top_k);
    for (size_t m = 0; m < f.masks.size(); ++m) {
      std::cout << "[MASK] " << m + 1 << ":";
      for (const auto& g : f.masks[m]) std::printf(" \"%s\" %.3f", g.piece.c_str(), g.probability);
      std::cout << std::endl;
    }
    std::cout << f.filled << std::endl;
  });
}
