#include "train/held_out_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "data/text_source.hpp"
#include "io/files.hpp"
#include "io/same_kind.hpp"

namespace sslkit::train {

namespace {

// --eval FILE is text with the input's tokenizer, no longer than the
// sequences the encoder is built for.
std::unique_ptr<io::DataReader> open_eval_file(const io::DataReader& in, const std::string& path) {
  auto eval = std::make_unique<io::DataReader>(path);
  if (eval->modality() != io::Modality::text)
    throw UsageError("--eval " + eval->name() + " is not a text file; " + in.name() + " is");
  io::check_same_tokenizer(in, *eval, "--eval " + eval->name());
  const int64_t length = static_cast<int64_t>(eval->info("/tokens").shape[1]), positions = data::text_max_len(in);
  if (length > positions)
    throw UsageError("--eval " + eval->name() + " holds sequences of " + std::to_string(length) +
                     " tokens, longer than the " + std::to_string(positions) + " of " + in.name() +
                     " that the encoder is built for (import it with --max-len " + std::to_string(positions) + ")");
  if (io::is_same_file(path, in.name()))
    warn("--eval " + path + " is the training file itself: its held-out scores are training scores");
  return eval;
}

}  // namespace

HeldOutText::HeldOutText(const io::DataReader& in, const std::string& eval_file, double split, uint64_t seed, int batch)
    : in_(in), seed_(seed) {
  if (!eval_file.empty()) eval_in_ = open_eval_file(in, eval_file);
  std::vector<size_t> perm(in.size());
  std::iota(perm.begin(), perm.end(), size_t{0});
  Rng rng(seed, 0xE7A15);
  for (size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[rng.below(i)]);
  size_t held = 0;
  if (split > 0) {
    held = std::max<size_t>(1, static_cast<size_t>(std::llround(split * static_cast<double>(in.size()))));
    if (in.size() < held + static_cast<size_t>(batch))
      throw UsageError("--eval-split " + std::to_string(split) + " leaves " +
                       std::to_string(in.size() - std::min(held, in.size())) + " rows of " + in.name() +
                       " to train on, fewer than one batch of " + std::to_string(batch));
    file_ = &in;
    rows_.assign(perm.begin(), perm.begin() + std::min(held, kMaxRows));
  } else if (eval_in_) {
    file_ = eval_in_.get();
    for (size_t r = 0; r < std::min(eval_in_->size(), kMaxRows); ++r) rows_.push_back(r);
  } else {
    return;
  }
  std::vector<size_t> train(perm.begin() + held, perm.end());
  train_scored_.assign(train.begin(), train.begin() + std::min(train.size(), rows_.size()));
  std::sort(train.begin(), train.end());
  unigram_ = unigram_baseline(in, train, *file_, rows_, seed);
  if (split > 0) train_rows_ = std::move(train);
  check_something_to_score();
}

// Nothing to score would print an accuracy and perplexity of 0.
void HeldOutText::check_something_to_score() const {
  if (unigram_.tokens > 0) return;
  const std::string where =
      file_ == &in_ ? "--eval-split holds out " + std::to_string(rows_.size()) + " rows of it, and in them " : "";
  if (rows_.empty()) throw Error(file_->name(), "has no rows to score (--eval)");
  const int64_t maskable = maskable_tokens(*file_, rows_);
  if (maskable == 0)
    throw Error(file_->name(), where + "no token can be masked: the rows hold only special pieces ([CLS], "
                                       "[SEP], padding)");
  const bool own_masks = file_->has("/mlm_labels");
  throw Error(file_->name(), where + "the evaluation masks select none of its " + std::to_string(maskable) +
                                 " maskable tokens (" + (own_masks ? "its own masks, from ssl-mask" : "15 % are drawn") +
                                 "): nothing to score; give more rows");
}

nlohmann::ordered_json HeldOutText::summary() const {
  return {{"rows", rows_.size()},
          {"masked_tokens", unigram_.tokens},
          {"unigram_accuracy", unigram_.accuracy},
          {"unigram_perplexity", unigram_.perplexity}};
}

std::string HeldOutText::describe() const {
  char line[200];
  std::snprintf(line, sizeof line, "held out: %zu rows, %lld masked tokens; unigram baseline accuracy %.4f, perplexity %.1f",
                rows_.size(), static_cast<long long>(unigram_.tokens), unigram_.accuracy, unigram_.perplexity);
  return line;
}

HeldOut::Scores HeldOutText::score(methods::Method& m, nn::DType dtype, int64_t step) const {
  const MaskedScore held = evaluate_masked_lm(m, *file_, rows_, seed_, dtype),
                    train = evaluate_masked_lm(m, in_, train_scored_, seed_, dtype);
  Scores s;
  s.series = {{"eval_step", static_cast<double>(step)}, {"eval_accuracy", held.accuracy},
              {"eval_perplexity", held.perplexity}, {"eval_train_accuracy", train.accuracy},
              {"eval_train_perplexity", train.perplexity}};
  s.log = {{"eval_accuracy", held.accuracy}, {"eval_perplexity", held.perplexity}, {"train_accuracy", train.accuracy},
           {"train_perplexity", train.perplexity}};
  char line[200];
  std::snprintf(line, sizeof line, "after %lld steps: held-out masked accuracy %.4f, perplexity %.1f (train %.4f, %.1f)",
                static_cast<long long>(step + 1), held.accuracy, held.perplexity, train.accuracy, train.perplexity);
  s.line = line;
  return s;
}

}  // namespace sslkit::train
