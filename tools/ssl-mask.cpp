// ssl-mask: adds masked-modelling masks (BERT, MAE, BEiT, wav2vec 2.0) to a
// text, image or audio file.
#include <memory>

#include "cli/option_table.hpp"
#include "cli/tool.hpp"
#include "io/shard.hpp"
#include "mask/mask_file.hpp"
#include "mask/mask_options.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool("ssl-mask", "Add the masks of a masked-modelling scheme to a text, image or audio file.");
  auto& app = tool.app();
  std::string input;
  tool.add_input(app, "input", input, "SSL-HDF5 text, image or audio file ('-' for stdin)")->required();
  cli::OptionTable options(tool, app, mask::mask_option_specs());
  std::string shard;
  app.add_option("--shard", shard, io::kShardHelp)->option_text("I/K");
  tool.add_common(app);
  app.footer("Each sample's mask is drawn from a generator seeded by (seed, sample id): the output is the same for "
             "any --threads. An option the scheme does not read is refused. docs/mask.md states each scheme and "
             "its source.");
  return tool.run(argc, argv, [&] {
    mask::MaskOptions o = mask::resolve_mask(options.given());
    o.input = input;
    std::unique_ptr<io::ShardInput> part;
    if (!shard.empty()) {
      part = std::make_unique<io::ShardInput>(input, io::parse_shard(shard));
      o.input = part->path();
    }
    o.output = tool.common().output;
    o.seed = tool.common().seed;
    o.command_line = tool.command_line();
    mask::run_mask(o);
  });
}
