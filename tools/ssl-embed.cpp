// ssl-embed: runs a trained encoder over an image, text or audio file and writes embeddings.
#include "apps/embed.hpp"
#include "cli/option_table.hpp"
#include "cli/tool.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool("ssl-embed", "Write the embeddings of a trained encoder for an image, text or audio file.");
  auto& app = tool.app();
  std::string model, input;
  tool.add_input(app, "model", model, "Model file from ssl-pretrain")->required();
  tool.add_input(app, "input", input, "SSL-HDF5 image, text or audio file ('-' for stdin)")->required();
  cli::OptionTable options(tool, app, train::embed_option_specs());
  tool.add_common(app);
  return tool.run(argc, argv, [&] {
    train::EmbedOptions o = train::resolve_embed(options.given());
    o.model = model;
    o.input = input;
    o.output = tool.common().output;
    o.command_line = tool.command_line();
    train::run_embed(o);
  });
}
