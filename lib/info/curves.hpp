// Training curves as a PNG (ssl-info MODEL.h5|LOG.jsonl ... --preview c.png):
// the loss per step, and beside it the --monitor kNN accuracy against
// seconds trained when a run had a monitor; one colour per run, a legend
// when there are several, and labelled horizontal reference accuracies.
#pragma once
#include <string>
#include <vector>

#include "info/run_curves.hpp"

namespace sslkit::info {

// A horizontal line on the accuracy panel, e.g. a baseline's accuracy.
struct Reference {
  std::string label;
  double accuracy = 0;
};

// "LABEL=ACCURACY" (split at the last '='), the accuracy in [0, 1];
// UsageError otherwise.
Reference parse_reference(const std::string& text);

// Throws Error when a run has no loss to draw.
void write_training_curves(const std::vector<RunCurves>& runs, const std::vector<Reference>& references,
                           const std::string& png_path);

}  // namespace sslkit::info
