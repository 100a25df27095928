// ssl-info: prints what an SSL-HDF5 data file or a model file holds.
#include <cstdio>
#include <iostream>

#include "cli/tool.hpp"
#include "info/describe.hpp"
#include "train/fill_mask.hpp"
#include "train/reconstruct.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool("ssl-info", "Print what an SSL-HDF5 data file or a model file holds.");
  auto& app = tool.app();
  info::InfoOptions opts;
  app.add_option("input", opts.input, "Data or model file ('-' for stdin)")->required();
  app.add_flag("--json", opts.json, "Print JSON for scripts");
  app.add_option("--preview", opts.preview,
                 "Write a PNG of the first samples (image grid, waveforms); for text, print decoded samples");
  app.add_flag("--verify", opts.verify, "Read every sample of every dataset to check the data itself");
  app.add_option("--preview-count", opts.preview_count, "Samples in the preview")->check(CLI::Range(1, 4096));
  std::string sentence;
  int top_k = 5;
  app.add_option("--predict", sentence,
                 "Masked language model: print the top tokens for each [MASK] of this sentence, "
                 "e.g. \"the cat sat on the [MASK]\"");
  app.add_option("--top", top_k, "Tokens listed per [MASK] with --predict")->check(CLI::Range(1, 1000));
  std::string recon_images;
  app.add_option("--reconstruct", recon_images,
                 "Masked image model (mae): draw what it fills in for --preview-count images of this file into the "
                 "--preview PNG (original, masked, reconstruction, with visible patches)");
  tool.add_common(app, /*output=*/false);
  tool.input(opts.input);
  tool.input(recon_images);
  tool.output("--preview", opts.preview);
  return tool.run(argc, argv, [&] {
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
