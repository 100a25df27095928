// ssl-pretrain: trains an encoder with a self-supervised objective. Its
// options are one table (train/pretrain_config): what they are, their
// defaults and to whom they apply are decided there.
#include "cli/option_table.hpp"
#include "cli/tool.hpp"
#include "methods/registry.hpp"
#include "apps/pretrain.hpp"
#include "apps/pretrain_config.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  std::string description = "Pretrain an encoder without labels. Methods (--method):";
  for (const auto& m : methods::method_registry())
    if (m.pretrain) description += std::string("\n  ") + m.name + ": " + m.summary;
  cli::Tool tool("ssl-pretrain", description);
  auto& app = tool.app();
  train::PretrainRequest r;
  tool.add_input(app, "input", r.input,
                 "SSL-HDF5 image file (raw images, augmented on the fly, or ssl-augment views), text file or audio file")
      ->required();
  cli::OptionTable options(tool, app, train::pretrain_option_specs());
  tool.add_common(app);
  return tool.run(argc, argv, [&] {
    r.output = tool.common().output;
    r.given = options.given();
    if (tool.given_options().count("--seed")) r.given["--seed"] = tool.common().seed;
    r.command_line = tool.command_line();
    train::run_pretrain(r);
  });
}
