// Held-out text for a masked language model's evaluation as it pretrains:
// rows of the input carved off by --eval-split (a seeded choice, fixed by
// the config so a resumed run trains on the same rows, never trained on),
// or rows of another file with the same tokenizer (--eval). The same
// number of training rows are scored beside them, so the two curves show
// over-fitting; at most kMaxRows of each.
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "io/data_file.hpp"
#include "methods/method.hpp"
#include "train/held_out.hpp"
#include "train/masked_eval.hpp"

namespace sslkit::train {

class HeldOutText : public HeldOut {
 public:
  static constexpr size_t kMaxRows = 2048;
  // Neither an --eval file nor a split: nothing is held out, active() is false.
  // Errors name the file when it has nothing to score.
  HeldOutText(const io::DataReader& in, const std::string& eval_file, double split, uint64_t seed, int batch);
  bool active() const { return file_ != nullptr; }
  const std::vector<size_t>& train_rows() const override { return train_rows_; }
  // What /config records: rows, masked tokens, the unigram baseline.
  nlohmann::ordered_json summary() const override;
  std::string describe() const override;
  // Masked accuracy and perplexity on the held-out rows and on as many training rows.
  Scores score(methods::Method& m, nn::DType dtype, int64_t step) const override;

 private:
  void check_something_to_score() const;
  const io::DataReader& in_;
  std::unique_ptr<io::DataReader> eval_in_;
  const io::DataReader* file_ = nullptr;  // where rows_ are
  uint64_t seed_ = 0;
  std::vector<size_t> rows_, train_rows_, train_scored_;
  MaskedScore unigram_;
};

}  // namespace sslkit::train
