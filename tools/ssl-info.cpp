// ssl-info: prints what an SSL-HDF5 data file or a model file holds.
#include <iostream>

#include "cli/tool.hpp"
#include "info/describe.hpp"

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
  tool.add_common(app, /*output=*/false);
  tool.input(opts.input);
  tool.output("--preview", opts.preview);
  return tool.run(argc, argv, [&] { info::run_info(opts, std::cout); });
}
