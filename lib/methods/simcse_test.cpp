// simcse: two dropout views of a sentence differ, the loss is InfoNCE of
// the in-batch cosine similarities, the gradient reaches the encoder, and
// features are read with the pooling it trained.
#include <doctest/doctest.h>

#include <cmath>

#include "core/rng.hpp"
#include "methods/registry.hpp"
#include "models/text_encoder.hpp"
#include "nn/engine.hpp"
#include "nn/ops.hpp"

using namespace sslkit;

namespace {

constexpr int32_t kVocab = 24;

std::unique_ptr<methods::Method> tiny_simcse(double dropout, const std::string& pool, uint64_t seed = 1) {
  methods::MethodParams p;
  p.arch = "bert-tiny";
  models::EncoderShape s = models::parse_arch("bert-tiny");
  s.dropout = dropout;
  p.encoder = s;
  p.vocab_size = kVocab;
  p.max_len = 8;
  p.temperature = 0.05f;
  p.pool = pool;
  Rng rng(seed);
  return methods::make_method("simcse", p, rng);
}

// Four rows of 8 tokens, the last ones padding.
methods::Batch sentences() {
  methods::Batch b;
  auto& t = b.tokens;
  t.rows = 4;
  t.length = 8;
  const std::vector<int32_t> lengths = {8, 5, 3, 6};
  Rng rng(9);
  for (int r = 0; r < 4; ++r) {
    for (int k = 0; k < 8; ++k) t.ids.push_back(k < lengths[r] ? 5 + static_cast<int32_t>(rng.below(kVocab - 5)) : 0);
    t.lengths.push_back(lengths[r]);
  }
  t.labels.assign(t.ids.size(), -100);
  return b;
}

// -mean_i log softmax_j(cos(z_i, z_j) / T)[i], in double: the loss when
// both views are the same vectors z.
double diagonal_log_softmax(const nn::Tensor& z, double t) {
  const int64_t n = z.dim(0), d = z.dim(1);
  std::vector<std::vector<double>> u(n, std::vector<double>(d));
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t k = 0; k < d; ++k) s += std::pow(u[i][k] = z.f32()[i * d + k], 2);
    for (auto& v : u[i]) v /= std::sqrt(s);
  }
  double loss = 0;
  for (int64_t i = 0; i < n; ++i) {
    double zsum = 0, diag = 0;
    for (int64_t j = 0; j < n; ++j) {
      double c = 0;
      for (int64_t k = 0; k < d; ++k) c += u[i][k] * u[j][k];
      zsum += std::exp(c / t);
      if (i == j) diag = c / t;
    }
    loss += std::log(zsum) - diag;
  }
  return loss / n;
}

}  // namespace

TEST_CASE("simcse: two dropout views of a sentence differ - without dropout or in eval they are one") {
  nn::init_engine();
  const methods::Batch b = sentences();
  for (double p : {0.1, 0.0}) {
    CAPTURE(p);
    models::EncoderShape s = models::parse_arch("bert-tiny");
    s.dropout = p;
    Rng rng(3);
    models::TextEncoder enc(s, kVocab, 8, rng);
    enc.set_training(true);
    Rng noise(4);
    const nn::Tensor a = enc.forward(b.tokens.ids, b.tokens.lengths, 8, nn::DType::f32, &noise).value();
    const nn::Tensor c = enc.forward(b.tokens.ids, b.tokens.lengths, 8, nn::DType::f32, &noise).value();
    double diff = 0;
    for (int64_t i = 0; i < a.numel(); ++i) diff = std::max(diff, static_cast<double>(std::fabs(a.f32()[i] - c.f32()[i])));
    if (p > 0)
      CHECK(diff > 1e-3);
    else
      CHECK(diff == 0);
    // In eval there is no dropout, whatever the generator.
    enc.set_training(false);
    const nn::Tensor e1 = enc.forward(b.tokens.ids, b.tokens.lengths, 8, nn::DType::f32, &noise).value();
    const nn::Tensor e2 = enc.forward(b.tokens.ids, b.tokens.lengths, 8).value();
    CHECK(e1.to_vector() == e2.to_vector());
  }
  // The method's two views differ: its loss is not the one of identical views.
  auto m = tiny_simcse(0.1, "mean");
  m->set_training(true);
  const float loss = m->loss(b).value().item();
  CHECK(std::fabs(loss - diagonal_log_softmax(m->last_embedding, 0.05)) > 1e-3);
}

TEST_CASE("simcse: at dropout 0 the loss is the log-softmax of the diagonal of the batch's cosine similarities") {
  nn::init_engine();
  const methods::Batch b = sentences();
  for (const char* pool : {"mean", "cls"}) {
    CAPTURE(pool);
    auto m = tiny_simcse(0.0, pool);
    m->set_training(true);
    const float loss = m->loss(b).value().item();
    // The training vectors (cls: through the MLP) are the first view's.
    const double expected = diagonal_log_softmax(m->last_embedding, 0.05);
    CHECK(loss == doctest::Approx(expected).epsilon(1e-4));
    // Mean pooling trains what sentence() reads; cls trains it through the MLP.
    const nn::Tensor read = m->sentence(b.tokens, std::string(pool) == "cls").value();
    if (std::string(pool) == "mean")
      CHECK(read.to_vector() == m->last_embedding.to_vector());
    else
      CHECK(read.to_vector() != m->last_embedding.to_vector());
    CHECK(m->sentence_pool() == pool);
  }
}

TEST_CASE("simcse: the gradient reaches every parameter of the encoder (and the MLP with cls pooling)") {
  nn::init_engine();
  for (const char* pool : {"cls", "mean"}) {
    CAPTURE(pool);
    auto m = tiny_simcse(0.1, pool);
    m->set_training(true);
    m->loss(sentences()).backward();
    for (auto& kv : m->named_parameters()) {  // no structured binding: clang 14 cannot capture one in CAPTURE/INFO
      auto& name = kv.first;
      auto& p = kv.second;
      CAPTURE(name);
      const bool mlp = name.rfind("mlp.", 0) == 0;
      if (mlp && std::string(pool) == "mean") {
        CHECK_FALSE(p->grad().defined());  // mean pooling has no MLP in its path
        continue;
      }
      REQUIRE(p->grad().defined());
      double norm = 0;
      for (float g : p->grad().to_vector()) norm += std::fabs(g);
      // The token table's padding and unused rows get nothing; the table as a whole does.
      CHECK(norm > 0);
    }
  }
}

TEST_CASE("simcse: the dropout masks are a function of the step (a resumed run draws the same)") {
  nn::init_engine();
  const methods::Batch b = sentences();
  auto a = tiny_simcse(0.1, "mean"), c = tiny_simcse(0.1, "mean");
  a->set_training(true);
  c->set_training(true);
  const float la = a->loss(b).value().item(), lc = c->loss(b).value().item();
  CHECK(la == lc);
  a->after_step(0.1);
  CHECK(a->loss(b).value().item() != la);
}
