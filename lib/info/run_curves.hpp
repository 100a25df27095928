// A training run's curves, from the model file it wrote or from its
// ssl-pretrain --log-json log (JSON lines): the loss per step, and the
// --monitor kNN accuracies against seconds trained. The log is what there
// is of a run still going, of one whose model file is gone, or of a peer
// that writes the same lines.
#pragma once
#include <string>
#include <vector>

#include "io/model_file.hpp"

namespace sslkit::info {

struct Series {
  std::vector<float> x, y;
  bool empty() const { return y.empty(); }
};

struct RunCurves {
  std::string source;  // the file, for messages
  std::string name;    // the legend's: the file's stem
  Series loss;       // against the step, counted from 1 as the model file's /train/loss
  Series knn;        // monitor_knn (k = 200, T = 0.1) against seconds
  Series knn20;      // monitor_knn20 (k = 20, T = 0.07) against seconds, when the monitor logged it
};

RunCurves curves_of_model(const io::ModelReader& m, const std::string& name);

// The log's lines: a step line has numbers "step" (from 0) and "loss", a
// monitor line "step", "seconds" and "monitor_knn" and/or "monitor_knn20";
// other lines and keys (lr, held-out scores, ...) are passed over. A step
// logged twice (a resumed run repeats the steps after its checkpoint) keeps
// its last line. Error naming the file when it cannot be read, a line is not
// a JSON object (except a cut last line, which a run still writing leaves),
// or no line is a step line.
RunCurves read_training_log(const std::string& path);

// Whether `path` is to be read as a log: named *.jsonl or *.json, or
// starting with '{' (HDF5 files start with their signature).
bool is_training_log(const std::string& path);

}  // namespace sslkit::info
