// ssl-info: prints what an SSL-HDF5 data file or a model file holds.
#include <cstdio>
#include <iostream>

#include "cli/tool.hpp"
#include "info/describe.hpp"
#include "train/fill_mask.hpp"

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
  tool.add_common(app, /*output=*/false);
  tool.input(opts.input);
  tool.output("--preview", opts.preview);
  return tool.run(argc, argv, [&] {
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
