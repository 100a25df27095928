#include "train/masked_eval.hpp"

#include <algorithm>
#include <cmath>

#include "data/tokenizer.hpp"
#include "mask/schemes.hpp"
#include "nn/var.hpp"
#include "batches/sequence_batches.hpp"

namespace sslkit::train {

namespace {

// Evaluation masks are one draw per sample, far outside any training epoch.
constexpr int64_t kEvalEpoch = int64_t{1} << 40;
constexpr size_t kReadRows = 1024;  // rows per read when counting tokens

mask::Vocabulary vocabulary(const io::DataReader& in) {
  return mask::vocabulary_of(data::Tokenizer::read_from(in), in.name());
}

std::vector<size_t> sorted_copy(std::vector<size_t> rows) {
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

// Calls f(batch) for the masked rows, `batch` rows at a time.
template <class F>
void for_masked_batches(const io::DataReader& in, const std::vector<size_t>& rows, uint64_t seed, int batch, F f) {
  const mask::Vocabulary vocab = vocabulary(in);
  const std::vector<size_t> sorted = sorted_copy(rows);
  for (size_t i = 0; i < sorted.size(); i += batch) {
    std::vector<size_t> part(sorted.begin() + i, sorted.begin() + std::min(sorted.size(), i + batch));
    f(batches::masked_rows(in, part, vocab, mask::MlmParams{}, seed, kEvalEpoch));
  }
}

}  // namespace

MaskedScore evaluate_masked_lm(methods::Method& m, const io::DataReader& in, const std::vector<size_t>& rows,
                               uint64_t seed, nn::DType dtype, int batch) {
  nn::NoGrad no_grad;
  const bool was_training = m.training();
  m.set_training(false);
  double nll = 0;
  int64_t right = 0, n = 0;
  for_masked_batches(in, rows, seed, std::max(1, batch), [&](methods::TokenBatch t) {
    t.dtype = dtype;
    const nn::Tensor logits = m.masked_logits(t).value();
    const int64_t V = logits.rank() == 2 ? logits.dim(1) : 0;
    int64_t k = 0;
    for (int32_t label : t.labels) {
      if (label == -100) continue;
      const float* row = logits.f32() + k++ * V;
      const float top = *std::max_element(row, row + V);
      double sum = 0;
      for (int64_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(row[v]) - top);
      nll += top + std::log(sum) - row[label];
      // Ties count against the model: the label must be strictly ahead.
      right += std::count_if(row, row + V, [&](float x) { return x >= row[label]; }) == 1;
      ++n;
    }
  });
  m.set_training(was_training);
  return {n ? static_cast<double>(right) / n : 0.0, n ? std::exp(nll / n) : 0.0, n};
}

int64_t maskable_tokens(const io::DataReader& in, const std::vector<size_t>& rows) {
  const mask::Vocabulary vocab = vocabulary(in);
  const std::vector<size_t> sorted = sorted_copy(rows);
  int64_t count = 0;
  for (size_t i = 0; i < sorted.size(); i += kReadRows) {
    std::vector<size_t> part(sorted.begin() + i, sorted.begin() + std::min(sorted.size(), i + kReadRows));
    const int64_t L = static_cast<int64_t>(in.info("/tokens").shape[1]);
    std::vector<int32_t> tokens(part.size() * L), lengths(part.size());
    in.read_at<int32_t>("/tokens", part, tokens.data());
    in.read_at<int32_t>("/lengths", part, lengths.data());
    for (size_t r = 0; r < part.size(); ++r)
      for (int64_t k = 0; k < std::clamp<int64_t>(lengths[r], 0, L); ++k) {
        const int32_t id = tokens[r * L + k];
        count += id >= 0 && id < vocab.size && !vocab.special[id];
      }
  }
  return count;
}

MaskedScore unigram_baseline(const io::DataReader& in, const std::vector<size_t>& train_rows,
                             const io::DataReader& eval, const std::vector<size_t>& rows, uint64_t seed) {
  const mask::Vocabulary vocab = vocabulary(in);
  std::vector<double> count(vocab.size, 1.0);  // add-one
  const std::vector<size_t> train = sorted_copy(train_rows);
  const int64_t L = static_cast<int64_t>(in.info("/tokens").shape[1]);
  for (size_t i = 0; i < train.size(); i += kReadRows) {
    std::vector<size_t> part(train.begin() + i, train.begin() + std::min(train.size(), i + kReadRows));
    std::vector<int32_t> tokens(part.size() * L), lengths(part.size());
    in.read_at<int32_t>("/tokens", part, tokens.data());
    in.read_at<int32_t>("/lengths", part, lengths.data());
    for (size_t r = 0; r < part.size(); ++r)
      for (int64_t k = 0; k < std::clamp<int64_t>(lengths[r], 0, L); ++k) {
        const int32_t id = tokens[r * L + k];
        if (id >= 0 && id < vocab.size && !vocab.special[id]) count[id] += 1;
      }
  }
  double total = 0;
  for (int32_t v = 0; v < vocab.size; ++v)
    if (!vocab.special[v]) total += count[v];
  int32_t top = 0;
  for (int32_t v = 0; v < vocab.size; ++v)
    if (!vocab.special[v] && (vocab.special[top] || count[v] > count[top])) top = v;
  double nll = 0;
  int64_t right = 0, n = 0;
  for_masked_batches(eval, rows, seed, static_cast<int>(kReadRows), [&](const methods::TokenBatch& t) {
    for (int32_t label : t.labels) {
      if (label == -100) continue;
      nll -= std::log(count[label] / total);
      right += label == top;
      ++n;
    }
  });
  return {n ? static_cast<double>(right) / n : 0.0, n ? std::exp(nll / n) : 0.0, n};
}

}  // namespace sslkit::train
