// ssl-embed: runs a trained encoder over an image, text or audio file and writes embeddings.
#include <memory>

#include "apps/embed.hpp"
#include "cli/option_table.hpp"
#include "cli/tool.hpp"
#include "io/shard.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool("ssl-embed", "Write the embeddings of a trained encoder for an image, text or audio file.");
  auto& app = tool.app();
  std::string model, input;
  tool.add_input(app, "model", model, "Model file from ssl-pretrain")->required();
  tool.add_input(app, "input", input, "SSL-HDF5 image, text or audio file ('-' for stdin)")->required();
  cli::OptionTable options(tool, app, train::embed_option_specs());
  std::string shard;
  app.add_option("--shard", shard, io::kShardHelp)->option_text("I/K");
  tool.add_common(app);
  return tool.run(argc, argv, [&] {
    train::EmbedOptions o = train::resolve_embed(options.given());
    o.model = model;
    o.input = input;
    std::unique_ptr<io::ShardInput> part;
    if (!shard.empty()) {
      part = std::make_unique<io::ShardInput>(input, io::parse_shard(shard));
      o.input = part->path();
    }
    o.output = tool.common().output;
    o.command_line = tool.command_line();
    train::run_embed(o);
  });
}
