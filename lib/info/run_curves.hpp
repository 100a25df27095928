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
  std::string name;    // the legend's: the file's stem (and the run id when a log holds several runs)
  std::string run_id;  // ssl-pretrain's id of the run, empty when the log or model file has none
  Series loss;       // against the step, counted from 1 as the model file's /train/loss
  Series knn;        // monitor_knn (k = 200, T = 0.1) against seconds
  Series knn20;      // monitor_knn20 (k = 20, T = 0.07) against seconds, when the monitor logged it
};

RunCurves curves_of_model(const io::ModelReader& m, const std::string& name);

// The log's runs, in the order they first appear: ssl-pretrain gives every
// line its run's "run_id" (a resumed run keeps its checkpoint's), so runs
// appending to one log come apart; lines without one (logs from before run
// ids) are one run. A step line has numbers "step" (from 0) and "loss", a
// monitor line "step", "seconds" and "monitor_knn" and/or "monitor_knn20";
// other lines and keys (lr, held-out scores, ...) are passed over. A step
// logged twice in one run (a resumed run repeats the steps after its
// checkpoint) keeps its last line. A run is named by the file's stem, and
// when the log holds several, "STEM run ID". Error naming the file when it
// cannot be read, a line is not a JSON object (except a cut last line,
// which a run still writing leaves), or no line is a step line.
// `display` names the log in messages and the legend when `path` is only
// where it was put (stdin spooled to a temp file); empty: the path itself.
std::vector<RunCurves> read_training_log(const std::string& path, const std::string& display = "");

// Whether `path` is to be read as a log: named *.jsonl or *.json, or
// starting with '{' (HDF5 files start with their signature). "-" (stdin,
// which can be read only once) is sniffed by the caller once it is spooled.
bool is_training_log(const std::string& path);

}  // namespace sslkit::info
