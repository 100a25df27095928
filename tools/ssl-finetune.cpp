// ssl-finetune: what the representations are worth (linear probe, kNN,
// full fine-tuning), with the raw-pixel baseline one flag away.
#include <cstdio>

#include "apps/finetune_config.hpp"
#include "cli/option_table.hpp"
#include "cli/tool.hpp"
#include "eval/probe.hpp"
#include "apps/embed.hpp"
#include "apps/finetune.hpp"
#include "apps/run_probe.hpp"

using namespace sslkit;

int main(int argc, char** argv) {
  cli::Tool tool("ssl-finetune",
                 "Evaluate a representation on labels: linear probe or weighted kNN on frozen features, or full "
                 "fine-tuning of the encoder.");
  auto& app = tool.app();
  std::string input;
  tool.add_input(app, "train", input,
                 "Training embeddings (ssl-embed output); or images or audio, with --model, --raw-pixels (images), --log-mel "
                 "(audio) or --mode full")
      ->required();
  cli::OptionTable options(tool, app, train::finetune_option_specs());
  tool.add_common(app, /*output=*/false);
  return tool.run(argc, argv, [&] {
    train::FullFinetuneOptions full = train::resolve_finetune(options.given());
    eval::FinetuneOptions& o = full.report;
    o.train = input;
    o.seed = tool.common().seed;
    full.command_line = tool.command_line();
    eval::Metrics m;
    if (o.mode == "full") {
      m = train::run_full_finetune(full);
    } else {
      m = train::run_probe(o, full.precision, full.pool);
    }
    const char* features = o.mode == "full" ? "fine-tuned encoder"
                           : o.raw_pixels   ? "raw pixels"
                           : o.log_mel      ? "log-mel statistics"
                           : o.bag_of_words ? "TF-IDF bag of words"
                           : o.model.empty() ? "embeddings"
                                             : "encoder features";
    std::printf("accuracy %.4f (%s, %s)\n", m.accuracy, o.mode.c_str(), features);
    for (size_t c = 0; c < m.per_class.size(); ++c)
      std::printf("  %-14s %.4f\n", c < m.class_names.size() ? m.class_names[c].c_str() : std::to_string(c).c_str(),
                  m.per_class[c]);
  });
}
