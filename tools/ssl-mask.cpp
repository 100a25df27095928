// ssl-mask: adds masked-modelling masks (BERT, MAE, BEiT, wav2vec 2.0) to a
// text, image or audio file.
#include <sstream>

#include "cli/tool.hpp"
#include "core/error.hpp"
#include "mask/mask_file.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool("ssl-mask", "Add the masks of a masked-modelling scheme to a text, image or audio file.");
  auto& app = tool.app();
  mask::MaskOptions o;
  std::string replace = "0.8,0.1";
  tool.add_input(app, "input", o.input, "SSL-HDF5 text, image or audio file ('-' for stdin)")->required();
  app.add_option("--scheme", o.scheme,
                 "mlm (text: BERT), patch (images: MAE), block (images: BEiT) or span (audio: wav2vec 2.0)")
      ->required()
      ->check(CLI::IsMember({"mlm", "patch", "block", "span"}));
  app.add_option("--ratio", o.ratio, "mlm: selection probability (0.15); patch: masked fraction (0.75); block: target (0.4)")
      ->check(CLI::Range(0.0, 1.0))
      ->default_str("per scheme");
  app.add_option("--replace", replace, "mlm: of the selected, the [MASK] and random-token fractions (the rest stay)");
  app.add_flag("--whole-word", o.mlm.whole_word, "mlm: select whole words and mask all their pieces");
  app.add_option("--patch", o.patch, "patch, block: patch side in pixels")->check(CLI::Range(1, 4096));
  app.add_option("--min-patches", o.block.min_patches, "block: smallest block in patches")->check(CLI::Range(1, 1 << 20));
  app.add_option("--min-aspect", o.block.min_aspect, "block: aspect ratios in [a, 1/a]")->check(CLI::Range(0.01, 1.0));
  app.add_option("--frame-samples", o.frame_samples, "span: audio samples per frame (320 = 20 ms at 16 kHz)")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--mask-prob", o.span.mask_prob, "span: probability that a frame starts a span")->check(CLI::Range(0.0, 1.0));
  app.add_option("--span", o.span.span, "span: frames per span")->check(CLI::Range(1, 1 << 20));
  app.add_option("--min-masks", o.span.min_masks, "span: spans per sample at least")->check(CLI::Range(0, 1 << 20));
  tool.add_output(app, "--preview", o.preview, "PNG: images over their masked versions, or waveforms with spans shaded");
  app.add_option("--preview-count", o.preview_count, "Samples in the preview")->check(CLI::Range(1, 256));
  app.add_option("--show", o.show, "mlm: print this many samples on stderr, selected pieces as [original->input]")
      ->check(CLI::Range(0, 1 << 20));
  tool.add_common(app);
  app.footer("Each sample's mask is drawn from a generator seeded by (seed, sample id): the output is the same for "
             "any --threads. docs/mask.md states each scheme and its source.");
  return tool.run(argc, argv, [&] {
    o.output = tool.common().output;
    o.seed = tool.common().seed;
    o.command_line = tool.command_line();
    o.given = tool.given_options();
    char comma = 0;
    std::istringstream in(replace);
    if (!(in >> o.mlm.mask_replace >> comma >> o.mlm.random_replace) || comma != ',' || !(in >> std::ws).eof() ||
        o.mlm.mask_replace < 0 || o.mlm.random_replace < 0 || o.mlm.mask_replace + o.mlm.random_replace > 1 + 1e-9)
      throw UsageError("--replace must be two fractions M,R with M + R <= 1, e.g. 0.8,0.1");
    mask::run_mask(o);
  });
}
