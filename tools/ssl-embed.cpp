// ssl-embed: runs a trained encoder over an image, text or audio file and writes embeddings.
#include "cli/tool.hpp"
#include "apps/embed.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool("ssl-embed", "Write the embeddings of a trained encoder for an image, text or audio file.");
  auto& app = tool.app();
  train::EmbedOptions o;
  tool.add_input(app, "model", o.model, "Model file from ssl-pretrain")->required();
  tool.add_input(app, "input", o.input, "SSL-HDF5 image, text or audio file ('-' for stdin)")->required();
  app.add_option("--layer", o.layer, "backbone or projector")->check(CLI::IsMember({"backbone", "projector"}));
  app.add_option("--pool", o.pool, "text: mean over the real tokens (default) or cls (the first token); ViT: cls (the class token, mae's "
                 "default) or mean of the patch tokens")
      ->check(CLI::IsMember({"mean", "cls"}));
  app.add_flag("--normalize", o.normalize, "L2-normalise each embedding");
  app.add_flag("--frames", o.frames, "audio: one embedding per 20 ms frame, [clips, frames, width] with /frames the real "
               "frames of each clip (default: the mean over the real frames)");
  app.add_option("--format", o.format, "h5 (SSL-HDF5), npy (numpy.load) or csv (id, label, one column per dimension)")
      ->check(CLI::IsMember({"h5", "npy", "csv"}));
  app.add_option("--batch", o.batch, "Images per batch")->check(CLI::Range(1, 65536));
  app.add_option("--precision", o.precision, "f32, bf16 or auto")->check(CLI::IsMember({"f32", "bf16", "auto"}));
  tool.add_common(app);
  return tool.run(argc, argv, [&] {
    o.output = tool.common().output;
    o.command_line = tool.command_line();
    train::run_embed(o);
  });
}
