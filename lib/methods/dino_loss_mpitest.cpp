// DINO's centre over the ranks of run_mpi.sh: the mean of every rank's
// teacher rows, as DINO all-reduces it, not this rank's batch mean. Ranks
// hold different rows and different counts, so a per-rank mean, or a mean
// of the ranks' means, would fail.
#include <doctest/doctest.h>

#include "core/dist.hpp"
#include "methods/dino_loss.hpp"
#include "nn/gradcheck.hpp"

using namespace sslkit;

TEST_CASE("dino centre mpi: the batch mean over every rank's rows") {
  const int k = dist::size(), me = dist::rank();
  const int64_t K = 5;
  std::vector<nn::Tensor> rows;
  for (int r = 0; r < k; ++r) rows.push_back(nn::random_tensor({2 + r, K}, 50 + r));
  const nn::Tensor c = methods::dino_batch_center(rows[me]);
  for (int64_t j = 0; j < K; ++j) {
    double s = 0, n = 0;
    for (int r = 0; r < k; ++r)
      for (int64_t i = 0; i < rows[r].dim(0); ++i) s += rows[r].f32()[i * K + j], n += 1;
    CHECK(c.f32()[j] == doctest::Approx(s / n).epsilon(1e-6));
  }
}
