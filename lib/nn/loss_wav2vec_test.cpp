// wav2vec 2.0's losses: the codebook diversity penalty and the contrastive
// loss over distractors, against values worked out by hand and finite
// differences.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"
#include "nn/test_util.hpp"

using namespace sslkit;
using namespace sslkit::nn;
using sslkit::nn::testing::check_backward_adds;

TEST_CASE("codebook_diversity values by hand") {
  init_engine();
  NoGrad ng;
  // Uniform logits: every entry used equally, perplexity G*V, loss 0.
  CHECK(codebook_diversity(Var(Tensor::zeros({5, 2 * 3})), 2).value().item() == doctest::Approx(0).scale(1));
  // One entry dominating each group in every row: perplexity ~ 1 a group.
  const int64_t N = 4, G = 2, V = 3;
  Tensor l = Tensor::zeros({N, G * V});
  for (int64_t n = 0; n < N; ++n) l.f32()[n * G * V + 1] = l.f32()[n * G * V + V + 2] = 30.f;
  CHECK(codebook_diversity(Var(l), G).value().item() == doctest::Approx(double(G * V - G) / (G * V)).epsilon(1e-6));
  // Two rows, one group of two: p = (1/2, 1/2) and (3/4, 1/4), pbar = (5/8, 3/8).
  Tensor t = Tensor::from({2, 2}, {0.f, 0.f, static_cast<float>(std::log(3.0)), 0.f});
  const double h = -(0.625 * std::log(0.625) + 0.375 * std::log(0.375));
  CHECK(codebook_diversity(Var(t), 1).value().item() == doctest::Approx((2 - std::exp(h)) / 2).epsilon(1e-6));
}

TEST_CASE("codebook_diversity gradients match finite differences") {
  init_engine();
  for (int64_t groups : {1, 2}) {
    auto r = grad_check([groups](const std::vector<Var>& v) { return codebook_diversity(v[0], groups); },
                        {random_tensor({5, 6}, 1, -2, 2)}, 1e-3);
    INFO("groups " << groups << ": " << r.worst);
    CHECK(r.max_error < 2e-3);
  }
  CHECK_THROWS_AS(codebook_diversity(Var(Tensor::zeros({2, 6}, DType::bf16)), 2), Error);
  CHECK_THROWS_AS(codebook_diversity(Var(Tensor::zeros({2, 6})), 4), Error);
}

TEST_CASE("contrastive_distractors on a 3x2 example by hand") {
  init_engine();
  // c = (1,0) (0,1) (1,1); each row's two distractors are the other rows.
  Tensor c = Tensor::from({3, 2}, {1, 0, 0, 1, 1, 1});
  const std::vector<int32_t> dis{1, 2, 0, 2, 0, 1};
  const double s = std::sqrt(2.0), T = 0.5;
  NoGrad ng;
  SUBCASE("distinct targets") {
    // q = (1,0) (1,1) (0,2). Cosines, positive first:
    // row 0: 1, 1/s, 0; row 1: 1/s, 0, 1; row 2: 1/s, 1/s, 1.
    Tensor q = Tensor::from({3, 2}, {1, 0, 1, 1, 0, 2});
    auto row = [T](double pos, double a, double b) {
      return std::log(std::exp(pos / T) + std::exp(a / T) + std::exp(b / T)) - pos / T;
    };
    const double want = (row(1, 1 / s, 0) + row(1 / s, 0, 1) + row(1 / s, 1 / s, 1)) / 3;
    double acc = -1;
    CHECK(contrastive_distractors(Var(c), Var(q), dis, 2, 0.5f, &acc).value().item() ==
          doctest::Approx(want).epsilon(1e-6));
    CHECK(acc == doctest::Approx(1.0 / 3));  // only row 0's positive is the largest
  }
  SUBCASE("a distractor equal to the positive is excluded") {
    // q = (1,0) (1,1) (1,0): q2 == q0, so row 0's distractor 2 and row 2's
    // distractor 0 get -inf; row 0 keeps 1 and 1/s, row 2 keeps 1/s (positive) and 1.
    Tensor q = Tensor::from({3, 2}, {1, 0, 1, 1, 1, 0});
    auto two = [T](double pos, double a) { return std::log(std::exp(pos / T) + std::exp(a / T)) - pos / T; };
    // row 1: c1 = (0,1), positive q1 -> 1/s, distractors q0 -> 0, q2 -> 0.
    const double row1 = std::log(std::exp(1 / s / T) + 2 * std::exp(0.0)) - 1 / s / T;
    const double want = (two(1, 1 / s) + row1 + two(1 / s, 1)) / 3;
    double acc = -1;
    CHECK(contrastive_distractors(Var(c), Var(q), dis, 2, 0.5f, &acc).value().item() ==
          doctest::Approx(want).epsilon(1e-6));
    CHECK(acc == doctest::Approx(2.0 / 3));  // rows 0 and 1 right, row 2 wrong
    // A row that is its own distractor is the same case.
    const std::vector<int32_t> self{0, 1, 1, 1, 2, 2};
    CHECK(contrastive_distractors(Var(c), Var(q), self, 2, 0.5f, &acc).value().item() ==
          doctest::Approx((two(1, 1 / s) + 0.0 + 0.0) / 3).epsilon(1e-6));
    CHECK(acc == doctest::Approx(1.0));  // rows 1 and 2 face only -inf distractors
  }
}

TEST_CASE("contrastive_distractors gradients to c and q match finite differences") {
  init_engine();
  const int64_t M = 5, K = 3;
  std::vector<int32_t> dis;
  Rng rng(21);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k) dis.push_back(static_cast<int32_t>((m + 1 + rng.below(M - 1)) % M));  // never m
  auto r = grad_check([&](const std::vector<Var>& v) { return contrastive_distractors(v[0], v[1], dis, K, 0.3f); },
                      {random_tensor({M, 4}, 2), random_tensor({M, 4}, 3)}, 1e-3);
  INFO(r.worst);
  CHECK(r.max_error < 2e-3);
  MESSAGE("contrastive_distractors max gradient-check error " << r.max_error);
  CHECK_THROWS_AS(contrastive_distractors(Var(random_tensor({M, 4}, 2)), Var(random_tensor({M, 4}, 3)), {0, 1}, K,
                                          0.3f),
                  Error);
  CHECK_THROWS_AS(contrastive_distractors(Var(random_tensor({2, 4}, 2)), Var(random_tensor({2, 4}, 3)), {0, 5}, 1,
                                          0.3f),
                  Error);
}

TEST_CASE("the wav2vec 2.0 losses add into gradients their inputs already hold") {
  init_engine();
  check_backward_adds([](const std::vector<Var>& v) { return codebook_diversity(v[0], 2); },
                      {random_tensor({4, 6}, 4)});
  check_backward_adds(
      [](const std::vector<Var>& v) { return contrastive_distractors(v[0], v[1], {1, 2, 0, 2, 0, 1}, 2, 0.5f); },
      {random_tensor({3, 4}, 5), random_tensor({3, 4}, 6)});
}
