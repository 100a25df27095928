// GradientSync in one process (the multi-rank path: gradient_sync_mpitest)
// and the weights of the ranks' losses.
#include <doctest/doctest.h>

#include "nn/tensor.hpp"
#include "nn/var.hpp"
#include "train/gradient_sync.hpp"

using namespace sslkit;

TEST_CASE("loss_terms: masked tokens - masked frames - else rows") {
  methods::Batch text;
  text.tokens.rows = 2;
  text.tokens.labels = {-100, 7, -100, 3, 4, -100};
  CHECK(train::loss_terms(text) == 3);
  text.tokens.labels.assign(6, -100);  // no MLM labels (fine-tuning): its rows
  CHECK(train::loss_terms(text) == 2);
  methods::Batch audio;
  audio.audio.rows = 3;
  audio.audio.mask = {0, 1, 1, 0, 0, 0, 1, 0, 0};
  CHECK(train::loss_terms(audio) == 3);
  methods::Batch images;
  images.views.emplace_back(nn::Tensor::zeros({5, 4, 4, 1}));
  CHECK(train::loss_terms(images) == 5);
}

TEST_CASE("gradient sync in one process: scales the gradients and leaves an unreached one undefined") {
  nn::Var a(nn::Tensor::zeros({3}), true), b(nn::Tensor::zeros({2, 2}), true), c(nn::Tensor::zeros({2}), true);
  a.grad() = nn::Tensor::from({3}, {1, 2, 3});
  b.grad() = nn::Tensor::from({2, 2}, {4, 5, 6, 7});
  const nn::Tensor shared = b.grad();  // another holder of b's buffer must keep its values
  // Buckets of 4 floats: a alone, then b (larger than a bucket) alone, then c.
  train::GradientSync sync({&a, &b, &c}, 4);
  CHECK(sync.bytes() == (3 + 4 + 2 + 3) * 4);
  sync.all_reduce(0.5);
  CHECK(a.grad().to_vector() == std::vector<float>{0.5f, 1, 1.5f});
  CHECK(b.grad().to_vector() == std::vector<float>{2, 2.5f, 3, 3.5f});
  CHECK_FALSE(c.grad().defined());
  CHECK(shared.to_vector() == std::vector<float>{4, 5, 6, 7});
}
