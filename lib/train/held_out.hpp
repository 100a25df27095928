// Rows a run scores as it pretrains and never trains on. A file's modality
// makes them (Modality::held_out: text's masked accuracy on held-out rows,
// train/held_out_text); ssl-pretrain only schedules the scoring and records
// what it returns, so it knows no modality's figures.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "methods/method.hpp"

namespace sslkit::train {

class HeldOut {
 public:
  virtual ~HeldOut() = default;
  // The input's rows to train on (empty: all of them).
  virtual const std::vector<size_t>& train_rows() const = 0;
  // What /config records of the held-out rows, and a line saying what they are.
  virtual nlohmann::ordered_json summary() const = 0;
  virtual std::string describe() const = 0;
  struct Scores {
    std::vector<std::pair<std::string, double>> series;  // the model file's series, by name
    nlohmann::ordered_json log = nlohmann::ordered_json::object();  // the fields of a --log-json line
    std::string line;                                     // the note after `step + 1` steps
  };
  virtual Scores score(methods::Method& m, nn::DType dtype, int64_t step) const = 0;
};

}  // namespace sslkit::train
