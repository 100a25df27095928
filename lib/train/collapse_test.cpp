// Collapse monitors: healthy and collapsed embeddings, and the codebook
// warning's threshold and grace period.
#include <doctest/doctest.h>

#include "nn/gradcheck.hpp"
#include "train/collapse.hpp"

using namespace sslkit;

TEST_CASE("embedding collapse: random embeddings are healthy - identical ones warn") {
  const nn::Tensor healthy = nn::random_tensor({64, 16}, 1);
  CHECK(train::collapse_std(healthy) > 0.1 / 4);
  CHECK(train::embedding_collapse_warning(healthy, 50).empty());
  nn::Tensor same({64, 16}, nn::DType::f32);
  for (int64_t i = 0; i < same.numel(); ++i) same.f32()[i] = static_cast<float>(i % 16) + 1.0f;
  CHECK(train::collapse_std(same) == doctest::Approx(0.0).epsilon(1e-6));
  CHECK(train::embedding_collapse_warning(same, 50).find("step 50: embeddings are collapsing") == 0);
  CHECK(train::collapse_std(nn::random_tensor({16}, 2)) == -1);
}

TEST_CASE("codebook collapse: warned at a code perplexity of 4 or less - not before step 100 - not without codes") {
  auto at = [](double perplexity, int64_t step) {
    return train::codebook_collapse_warning({{"code_perplexity", perplexity}, {"codes", 128}}, step);
  };
  CHECK(at(2.1, 150).find("step 150: the codebook is collapsing: code perplexity 2.10 of 128 codes") == 0);
  CHECK(at(4.0, 100) != "");
  CHECK(at(4.5, 150) == "");
  CHECK(at(2.0, 99) == "");
  CHECK(train::codebook_collapse_warning({{"loss", 1.0}}, 500) == "");
}
