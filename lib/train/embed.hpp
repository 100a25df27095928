// ssl-embed's logic: a trained encoder over an image file, in batches,
// without a tape, writing /embeddings with ids and labels carried over.
#pragma once
#include <string>

namespace sslkit::train {

struct EmbedOptions {
  std::string model, input, output;
  std::string layer = "backbone";  // or projector
  bool normalize = false;
  std::string format = "h5";       // h5, npy, csv
  int batch = 512;
  std::string precision = "auto";
  std::string command_line;
};

void run_embed(const EmbedOptions& opts);

}  // namespace sslkit::train
