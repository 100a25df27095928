// Held-out MLM scores: perplexity is exp of the model's own loss on the same
// masked rows, accuracy counts argmax hits by hand, scores are the same at
// every call (fixed masks), a file's own masks are the ones scored, and the
// unigram baseline against a hand count. Unmasked batches for fine-tuning.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "data/tokenizer.hpp"
#include "io/data_file.hpp"
#include "io/test_util.hpp"
#include "train/test_util.hpp"
#include "mask/schemes.hpp"
#include "methods/method.hpp"
#include "nn/engine.hpp"
#include "train/masked_eval.hpp"
#include "batches/sequence_batches.hpp"

using namespace sslkit;

namespace {

std::unique_ptr<methods::Method> tiny_mlm(const io::DataReader& in) {
  methods::MethodParams p;
  p.arch = "bert-tiny";
  p.vocab_size = data::Tokenizer::read_from(in).vocab_size();
  p.max_len = 24;
  Rng rng(2);
  return methods::make_method("mlm", p, rng);
}

}  // namespace

TEST_CASE("masked eval: perplexity is exp of the loss on the same masked rows and accuracy counts argmax hits") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(testing::import_sample_text(dir));
  auto m = tiny_mlm(in);
  std::vector<size_t> rows;
  for (size_t r = 0; r < 20; ++r) rows.push_back(r);
  const train::MaskedScore s = train::evaluate_masked_lm(*m, in, rows, 7, nn::DType::f32, /*batch=*/6);
  REQUIRE(s.tokens > 0);
  // The same rows in one batch, masked the same way, through the loss.
  const mask::Vocabulary vocab = mask::vocabulary_of(data::Tokenizer::read_from(in), "t");
  methods::Batch b;
  b.tokens = batches::masked_rows(in, rows, vocab, mask::MlmParams{}, 7, int64_t{1} << 40);
  int64_t selected = 0;
  for (int32_t l : b.tokens.labels) selected += l != -100;
  CHECK(selected == s.tokens);
  nn::NoGrad ng;
  CHECK(std::log(s.perplexity) == doctest::Approx(m->loss(b).value().item()).epsilon(1e-4));
  const nn::Tensor logits = m->masked_logits(b.tokens).value();
  int64_t hits = 0, k = 0;
  for (int32_t l : b.tokens.labels) {
    if (l == -100) continue;
    const float* row = logits.f32() + k++ * logits.dim(1);
    hits += std::max_element(row, row + logits.dim(1)) - row == l;
  }
  CHECK(s.accuracy == doctest::Approx(static_cast<double>(hits) / s.tokens));
  // Fixed masks: the same score at every call.
  const train::MaskedScore again = train::evaluate_masked_lm(*m, in, rows, 7, nn::DType::f32);
  CHECK(again.tokens == s.tokens);
  CHECK(again.perplexity == doctest::Approx(s.perplexity));
}

TEST_CASE("masked eval: a file's own masks are the positions scored") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(testing::import_sample_text(dir));
  // Write /input_ids and /mlm_labels selecting exactly position 1 of each row.
  const std::string masked = dir / "masked.h5";
  {
    io::DataWriter w(masked, io::Modality::text);
    w.copy_from(in, {});
    const size_t N = in.size();
    std::vector<int32_t> tokens(N * 24), labels(N * 24, -100);
    in.read<int32_t>("/tokens", 0, N, tokens.data());
    for (size_t r = 0; r < N; ++r) labels[r * 24 + 1] = tokens[r * 24 + 1], tokens[r * 24 + 1] = 4;
    w.create("/input_ids", io::DType::i32, {24});
    w.create("/mlm_labels", io::DType::i32, {24});
    w.append("/input_ids", tokens);
    w.append("/mlm_labels", labels);
    w.commit();
  }
  io::DataReader file(masked);
  auto m = tiny_mlm(in);
  std::vector<size_t> rows{0, 3, 5, 9};
  CHECK(train::evaluate_masked_lm(*m, file, rows, 1, nn::DType::f32).tokens == 4);
}

TEST_CASE("masked eval: the unigram baseline against a hand count") {
  testing::ScratchDir dir;
  io::DataReader in(testing::import_sample_text(dir));
  const size_t N = in.size();
  std::vector<size_t> train_rows, eval_rows;
  for (size_t r = 0; r < N; ++r) (r % 4 == 0 ? eval_rows : train_rows).push_back(r);
  const train::MaskedScore u = train::unigram_baseline(in, train_rows, in, eval_rows, 5);
  const data::Tokenizer tok = data::Tokenizer::read_from(in);
  const int32_t V = tok.vocab_size();
  std::vector<int32_t> tokens(N * 24), lengths(N);
  in.read<int32_t>("/tokens", 0, N, tokens.data());
  in.read<int32_t>("/lengths", 0, N, lengths.data());
  std::vector<double> count(V, 1.0);
  for (size_t r : train_rows)
    for (int k = 0; k < lengths[r]; ++k)
      if (!tok.is_special(tokens[r * 24 + k])) count[tokens[r * 24 + k]] += 1;
  double total = 0;
  int32_t top = -1;
  for (int32_t v = 0; v < V; ++v)
    if (!tok.is_special(v)) {
      total += count[v];
      if (top < 0 || count[v] > count[top]) top = v;
    }
  const mask::Vocabulary vocab = mask::vocabulary_of(tok, "t");
  const methods::TokenBatch t = batches::masked_rows(in, eval_rows, vocab, mask::MlmParams{}, 5, int64_t{1} << 40);
  double nll = 0;
  int64_t hits = 0, n = 0;
  for (int32_t l : t.labels)
    if (l != -100) nll -= std::log(count[l] / total), hits += l == top, ++n;
  CHECK(u.tokens == n);
  CHECK(u.accuracy == doctest::Approx(static_cast<double>(hits) / n));
  CHECK(u.perplexity == doctest::Approx(std::exp(nll / n)));
}

TEST_CASE("token batches for fine-tuning: the tokens as they are and no labels") {
  testing::ScratchDir dir;
  io::DataReader in(testing::import_sample_text(dir));
  batches::SequenceBatchSpec spec;
  spec.batch = 4;
  spec.mask_tokens = false;
  spec.targets = in.labels();
  batches::TokenBatches b(in, spec);
  const methods::Batch batch = b.next();
  std::vector<int32_t> tokens(in.size() * 24);
  in.read<int32_t>("/tokens", 0, in.size(), tokens.data());
  for (int32_t l : batch.tokens.labels) CHECK(l == -100);
  for (int32_t id : batch.tokens.ids) CHECK(id != 4);  // no [MASK]
  CHECK(batch.pretext.size() == 4);
}
