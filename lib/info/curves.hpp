// A model file's training curves as a PNG (ssl-info MODEL --preview c.png):
// the loss per step, and beside it the --monitor kNN accuracy against
// wall-clock seconds when the run had a monitor.
#pragma once
#include <string>

#include "io/model_file.hpp"

namespace sslkit::info {

// Throws Error when the model has no loss series (nothing to draw).
void write_training_curves(const io::ModelReader& m, const std::string& png_path);

}  // namespace sslkit::info
