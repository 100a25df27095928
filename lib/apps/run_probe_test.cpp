#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cmath>

#include "core/rng.hpp"
#include "nn/engine.hpp"
#include "apps/run_probe.hpp"

using namespace sslkit;

namespace {

// n points per class around K orthogonal centres; `flip` of the points
// carry a wrong label, so the best reachable accuracy is known.
eval::Features blobs(int K, int n, double spread, double flip, uint64_t seed) {
  Rng rng(seed);
  eval::Features f;
  f.d = K;
  for (int c = 0; c < K; ++c)
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < K; ++j) f.x.push_back(static_cast<float>((j == c ? 4.0 : 0.0) + spread * rng.uniform(-1, 1)));
      int y = c;
      if (rng.uniform() < flip) y = (c + 1) % K;
      f.y.push_back(y);
    }
  f.n = static_cast<int64_t>(f.y.size());
  return f;
}

}  // namespace

TEST_CASE("linear probe and kNN reach the known accuracy on separable data") {
  nn::init_engine();
  eval::Features tr = blobs(4, 200, 1.0, 0.0, 1), te = blobs(4, 100, 1.0, 0.0, 2);
  eval::FinetuneOptions o;
  for (std::string mode : {"linear", "knn"}) {
    CAPTURE(mode);
    o.mode = mode;
    o.k = 20;
    eval::Metrics m = train::evaluate_probe(tr, te, o, nullptr);
    CHECK(m.accuracy == doctest::Approx(1.0));
    CHECK(m.confusion.size() == 4);
    CHECK(m.per_class.size() == 4);
  }
}

TEST_CASE("with 20% of test labels flipped the accuracy is 0.8 within sampling noise") {
  nn::init_engine();
  eval::Features tr = blobs(3, 300, 1.0, 0.0, 3), te = blobs(3, 400, 1.0, 0.2, 4);
  eval::FinetuneOptions o;
  eval::Metrics m = train::evaluate_probe(tr, te, o, nullptr);
  // 1200 test points: a binomial std of about 0.012.
  CHECK(std::abs(m.accuracy - 0.8) < 0.04);
}

TEST_CASE("linear probe: the held-out rule never leaves an empty split") {
  nn::init_engine();
  eval::FinetuneOptions o;
  o.epochs = 5;
  std::string selected;
  // 12 labelled rows: too few to hold any out; the default decay, said so.
  eval::Features small = blobs(4, 3, 1.0, 0.0, 5), te = blobs(4, 50, 1.0, 0.0, 6);
  eval::Metrics m = train::evaluate_probe(small, te, o, &selected);
  auto j = nlohmann::json::parse(selected);
  CHECK(j["held_out_rows"] == 0);
  CHECK(j["weight_decay"] == doctest::Approx(train::kDefaultProbeDecay));
  CHECK(j["why"].get<std::string>().find("fewer than") != std::string::npos);
  CHECK(m.accuracy > 0.9);
  // 24 rows: a tenth, at least two, chooses.
  eval::Features some = blobs(4, 6, 1.0, 0.0, 7);
  train::evaluate_probe(some, te, o, &selected);
  CHECK(nlohmann::json::parse(selected)["held_out_rows"] == 2);
}

TEST_CASE("linear probe: features are standardised first - MAE's non-affine batchnorm - so scaling them changes nothing") {
  nn::init_engine();
  eval::Features tr = blobs(3, 100, 3.0, 0.1, 7), te = blobs(3, 100, 3.0, 0.1, 8);
  eval::FinetuneOptions o;
  o.epochs = 20;
  const eval::Metrics a = train::evaluate_probe(tr, te, o, nullptr);
  // Each feature scaled and shifted differently, the same in both files.
  for (eval::Features* f : {&tr, &te})
    for (int64_t i = 0; i < f->n; ++i)
      for (int64_t j = 0; j < f->d; ++j) f->x[i * f->d + j] = f->x[i * f->d + j] * (100.0f * (j + 1)) - 37.0f * j;
  const eval::Metrics b = train::evaluate_probe(tr, te, o, nullptr);
  CHECK(a.accuracy < 0.99);  // overlapping classes: a real fit, not a trivial one
  CHECK(b.accuracy == doctest::Approx(a.accuracy).epsilon(0.01));
}
