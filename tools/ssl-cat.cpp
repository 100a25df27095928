// ssl-cat: joins the shards of a batch-tool run (--shard I/K) into one data
// file, in id order.
#include "cli/tool.hpp"
#include "io/join_shards.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool("ssl-cat", "Join the shards of an ssl-import, ssl-augment, ssl-mask or ssl-embed run (--shard I/K) "
                            "into one data file, in id order.");
  auto& app = tool.app();
  io::JoinOptions o;
  tool.add_inputs(app, "input", o.inputs, "The shards, in any order ('-' for stdin)")->required();
  app.add_flag("--allow-gaps", o.allow_gaps,
               "Join shards whose ids do not follow one another (a shard left out on purpose)");
  tool.add_common(app);
  app.footer("The shards must hold the same datasets and attributes (class names, tokenizer, sample rate, the model "
             "that made embeddings); their ids must not overlap and, without --allow-gaps, must follow one another. "
             "The output appears whole or not at all.");
  return tool.run(argc, argv, [&] {
    o.output = tool.common().output;
    o.history = {tool.command_line()};
    io::join_shards(o);
  });
}
