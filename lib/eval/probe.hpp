// ssl-finetune's evaluation: a linear probe (multinomial logistic
// regression on standardised frozen features, L2 strength chosen on a
// held-out part of the training set) and weighted kNN on cosine similarity
// (votes exp(sim/T)), with accuracy, per-class accuracy and a confusion
// matrix. Features come from an embeddings file or, as the raw-pixel
// baseline, from an image file's pixels.
#pragma once
#include <string>
#include <vector>

namespace sslkit::eval {

struct FinetuneOptions {
  std::string train, eval;      // embeddings (or image files with raw_pixels)
  std::string mode = "linear";  // linear, knn
  bool raw_pixels = false;
  int k = 200;
  double knn_temperature = 0.1;
  double label_fraction = 1.0;
  int epochs = 30;
  std::string metrics;          // JSON path
  std::string plot;             // confusion matrix PNG
  uint64_t seed = 0;
};

struct Metrics {
  double accuracy = 0;
  std::vector<double> per_class;
  std::vector<std::vector<int64_t>> confusion;
  std::vector<std::string> class_names;
  std::string summary_json(const FinetuneOptions& o, const std::string& extra = "") const;
};

Metrics run_finetune(const FinetuneOptions& opts);

}  // namespace sslkit::eval
