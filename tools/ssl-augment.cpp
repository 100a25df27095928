// ssl-augment: materialises augmented views of images or audio into SSL-HDF5.
#include <memory>

#include "augment/augment_file.hpp"
#include "augment/augment_options.hpp"
#include "cli/option_table.hpp"
#include "cli/tool.hpp"
#include "io/shard.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool("ssl-augment", "Write augmented views of an image or audio file.");
  auto& app = tool.app();
  augment::AugmentRequest r;
  tool.add_input(app, "input", r.input, "SSL-HDF5 image or audio file ('-' for stdin)")->required();
  cli::OptionTable options(tool, app, augment::augment_option_specs());
  std::string shard;
  app.add_option("--shard", shard, io::kShardHelp)->option_text("I/K");
  tool.add_common(app);
  app.footer("Every random draw is seeded by (seed, sample id, view): the output is the same for any --threads. An "
             "option the input or the recipe does not use is refused.");
  return tool.run(argc, argv, [&] {
    r.output = tool.common().output;
    r.seed = tool.common().seed;
    r.command_line = tool.command_line();
    r.given = options.given();
    std::unique_ptr<io::ShardInput> part;
    if (!shard.empty()) {
      part = std::make_unique<io::ShardInput>(r.input, io::parse_shard(shard));
      r.input = part->path();
    }
    augment::run_augment(r);
  });
}
