// ssl-augment: materialises augmented views of images or audio into SSL-HDF5.
#include "augment/augment_file.hpp"
#include "cli/tool.hpp"
#include "data/image_source.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool("ssl-augment", "Write augmented views of an image or audio file.");
  auto& app = tool.app();
  augment::AugmentOptions o;
  tool.add_input(app, "input", o.input, "SSL-HDF5 image or audio file ('-' for stdin)")->required();
  app.add_option("--recipe", o.recipe,
                 "simclr, mocov2, byol, rotation (images), audio, or a custom string such as "
                 "\"crop(0.2,1) flip(0.5) jitter(0.4,0.4,0.4,0.1,p=0.8) gray(0.2) blur(0.1,2,p=0.5)\"")
      ->default_str("simclr for images, audio for audio");
  app.add_option("--views", o.views, "Views per sample (0 = the recipe's default: 2, or 4 for rotation)");
  app.add_option("--strength", o.strength, "SimCLR color-jitter strength (1.0 ImageNet, 0.5 CIFAR)")
      ->check(CLI::Range(0.0, 2.0));
  app.add_option("--size", o.size, "Output image side (default: the input's)")->check(CLI::Range(0, data::kMaxOutputSide));
  app.add_option("--seconds", o.seconds, "Output clip length for audio (default: the input's)");
  app.add_flag("--apply", o.apply,
               "Audio: write each clip's one augmented view in place of the original (a plain audio file)");
  tool.add_output(app, "--preview", o.preview, "PNG with the originals in the first column and their views beside them");
  app.add_option("--preview-count", o.preview_count, "Samples in the preview")->check(CLI::Range(1, 256));
  tool.add_common(app);
  app.footer("Every random draw is seeded by (seed, sample id, view): the output is the same for any --threads.");
  return tool.run(argc, argv, [&] {
    o.output = tool.common().output;
    o.seed = tool.common().seed;
    o.command_line = tool.command_line();
    augment::run_augment(o);
  });
}
