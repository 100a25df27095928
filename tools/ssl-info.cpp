// ssl-info: prints what an SSL-HDF5 data file or a model file holds, and
// draws training curves from model files and --log-json logs.
#include <iostream>

#include "cli/option_table.hpp"
#include "cli/tool.hpp"
#include "info/describe.hpp"
#include "info/fill_mask.hpp"
#include "info/info_options.hpp"
#include "info/run_curves.hpp"
#include "train/reconstruct.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool("ssl-info", "Print what an SSL-HDF5 data file or a model file holds; draw training curves.");
  auto& app = tool.app();
  std::vector<std::string> inputs;
  tool.add_inputs(app, "input", inputs,
                  "Data or model file ('-' for stdin), or an ssl-pretrain --log-json log (.jsonl); several model files "
                  "or logs are drawn together by --preview")
      ->required();
  cli::OptionTable options(tool, app, info::info_option_specs());
  tool.add_common(app, /*output=*/false);
  return tool.run(argc, argv, [&] {
    const bool log = inputs.size() == 1 && info::is_training_log(inputs[0]);
    const info::InfoRun run = info::resolve_info(options.given(), inputs, log);
    switch (run.job) {
      case info::InfoRun::Job::curves: return info::run_curves(run.inputs, run.options, std::cout);
      case info::InfoRun::Job::predict:
        return info::print_fill_mask(run.options.input, run.sentence, run.top, run.options.json, std::cout);
      case info::InfoRun::Job::reconstruct:
        train::reconstruct_file(run.options.input, run.images, run.reconstruct_count, tool.common().seed,
                                run.options.preview);
        std::cout << "reconstructions of " << run.images << " written to " << run.options.preview << std::endl;
        return;
      case info::InfoRun::Job::describe: return info::run_info(run.options, std::cout);
    }
  });
}
