// ssl-export: a trained encoder as a directory PyTorch, timm or Hugging Face load.
#include "apps/export.hpp"
#include "cli/option_table.hpp"
#include "cli/tool.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool(
      "ssl-export",
      "Write a trained encoder as safetensors under torchvision, timm or Hugging Face names, with the config "
      "files their loaders read, or as an ONNX graph: a directory, written whole or not at all.");
  auto& app = tool.app();
  train::ExportOptions o;
  tool.add_input(app, "model", o.model, "Model file from ssl-pretrain")->required();
  // A directory, not a file: declared here rather than as the common -o (an
  // output file), and checked by io::OutputDir.
  app.add_option("-o,--output", o.output, "Directory to write (new, or empty; --force replaces one)")
      ->type_name("DIR")
      ->required();
  cli::OptionTable options(tool, app, train::export_option_specs());
  tool.add_common(app, /*output=*/false);
  return tool.run(argc, argv, [&] {
    train::ExportOptions r = train::resolve_export(options.given());
    r.model = o.model;
    r.output = o.output;
    train::run_export(r);
  });
}
