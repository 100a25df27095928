// skipgram_loss: the value on hand-made pairs, gradients against finite
// differences, and gradients that touch only the rows a batch used.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/loss_skipgram.hpp"
#include "nn/test_util.hpp"

using namespace sslkit;
using namespace sslkit::nn;

namespace {
double dot_row(const Tensor& a, int i, const Tensor& b, int j) {
  const int64_t D = a.dim(1);
  double s = 0;
  for (int64_t d = 0; d < D; ++d) s += a.f32()[i * D + d] * b.f32()[j * D + d];
  return s;
}
double log_sigmoid(double x) { return -std::log1p(std::exp(-x)); }
}  // namespace

TEST_CASE("skipgram_loss on hand-made pairs is -log sigmoid(u.v) - sum log sigmoid(-u.n) averaged over pairs") {
  init_engine();
  Tensor in = random_tensor({6, 4}, 11), out = random_tensor({6, 4}, 12);
  // Pair 0: token 1 with context 2, negatives 5 and 0; pair 1: token 3 with
  // context 3 (a token next to itself), negatives 2 and 2.
  const std::vector<int32_t> centers{1, 3}, targets{2, 5, 0, 3, 2, 2};
  NoGrad ng;
  const double want0 = -log_sigmoid(dot_row(in, 1, out, 2)) - log_sigmoid(-dot_row(in, 1, out, 5)) -
                       log_sigmoid(-dot_row(in, 1, out, 0));
  const double want1 = -log_sigmoid(dot_row(in, 3, out, 3)) - 2 * log_sigmoid(-dot_row(in, 3, out, 2));
  CHECK(skipgram_loss(Var(in), Var(out), centers, targets, 2).value().item() ==
        doctest::Approx((want0 + want1) / 2).epsilon(1e-6));
  // At zero output vectors every score is 0: (1 + K) log 2 per pair.
  CHECK(skipgram_loss(Var(in), Var(Tensor::zeros({6, 4})), centers, targets, 2).value().item() ==
        doctest::Approx(3 * std::log(2.0)).epsilon(1e-6));
}

TEST_CASE("skipgram_loss gradients match finite differences and add into held gradients") {
  init_engine();
  const std::vector<int32_t> centers{1, 3, 1, 0}, targets{2, 5, 0, 3, 2, 2, 4, 4, 1, 1, 0, 5};
  auto f = [&](const std::vector<Var>& v) { return skipgram_loss(v[0], v[1], centers, targets, 2); };
  const std::vector<Tensor> in{random_tensor({6, 5}, 21), random_tensor({6, 5}, 22)};
  auto r = grad_check(f, in, 1e-2);
  INFO(r.worst);
  CHECK(r.max_error < 1e-3);
  MESSAGE("skipgram_loss max gradient-check error " << r.max_error);
  testing::check_backward_adds(f, in);
}

TEST_CASE("skipgram_loss gradients touch only the rows used (input rows of the centres and output rows of the targets)") {
  init_engine();
  // Wide enough (D 80) and with pairs enough that the backward splits the columns among threads.
  const int64_t V = 50, D = 80;
  Var in(random_tensor({V, D}, 31), true), out(random_tensor({V, D}, 32), true);
  std::vector<int32_t> centers, targets;
  for (int p = 0; p < 400; ++p) {
    centers.push_back(p % 7);              // input rows 0..6
    for (int k = 0; k < 4; ++k) targets.push_back(10 + (p * 3 + k) % 11);  // output rows 10..20
  }
  skipgram_loss(in, out, centers, targets, 3).backward();
  const auto gi = in.grad().to_vector(), go = out.grad().to_vector();
  for (int64_t v = 0; v < V; ++v) {
    double ni = 0, no = 0;
    for (int64_t d = 0; d < D; ++d) {
      ni += std::fabs(gi[v * D + d]);
      no += std::fabs(go[v * D + d]);
    }
    CAPTURE(v);
    CHECK((ni > 0) == (v < 7));
    CHECK((no > 0) == (v >= 10 && v <= 20));
  }
}

TEST_CASE("skipgram_loss refuses ids outside the vocabulary and a target count that does not fit") {
  init_engine();
  Var in(random_tensor({4, 2}, 41)), out(random_tensor({4, 2}, 42));
  CHECK_THROWS_AS(skipgram_loss(in, out, {4}, {0, 1}, 1), Error);
  CHECK_THROWS_AS(skipgram_loss(in, out, {0}, {0, -1}, 1), Error);
  CHECK_THROWS(skipgram_loss(in, out, {0}, {0, 1, 2}, 1));
}
