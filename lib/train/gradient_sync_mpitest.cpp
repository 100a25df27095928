// GradientSync across the ranks of a real job (mpirun -np 2): the weighted
// sum of the ranks' gradients, over several buckets, with a parameter that
// backward reached on rank 0 only.
#include <doctest/doctest.h>

#include "core/dist.hpp"
#include "nn/tensor.hpp"
#include "nn/var.hpp"
#include "train/gradient_sync.hpp"

using namespace sslkit;

TEST_CASE("gradient sync mpi: every rank gets the sum of scale_r times grad_r - unreached gradients count as zero") {
  const int k = dist::size(), me = dist::rank();
  nn::Var a(nn::Tensor::zeros({3}), true), b(nn::Tensor::zeros({5}), true), c(nn::Tensor::zeros({2}), true);
  auto grad_of = [](int r, int64_t n, float base) {
    std::vector<float> v(n);
    for (int64_t i = 0; i < n; ++i) v[i] = base + 10.f * r + i;
    return v;
  };
  a.grad() = nn::Tensor::from({3}, grad_of(me, 3, 1));
  b.grad() = nn::Tensor::from({5}, grad_of(me, 5, 100));
  if (me == 0) c.grad() = nn::Tensor::from({2}, grad_of(me, 2, 1000));
  // Rank r's weight: (r + 1) of 1 + 2 + ... + k, as a rank's loss terms would be.
  const double total = k * (k + 1) / 2.0, scale = (me + 1) / total;
  train::GradientSync sync({&a, &b, &c}, 4);  // three buckets
  sync.all_reduce(scale);
  auto want = [&](int64_t n, float base, int ranks) {
    std::vector<float> w(n, 0.f);
    for (int r = 0; r < ranks; ++r)
      for (int64_t i = 0; i < n; ++i) w[i] += static_cast<float>((r + 1) / total) * grad_of(r, n, base)[i];
    return w;
  };
  auto near = [](const std::vector<float>& x, const std::vector<float>& y) {
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (std::abs(x[i] - y[i]) > 1e-4f * std::max(1.f, std::abs(y[i]))) return false;
    return true;
  };
  CHECK(near(a.grad().to_vector(), want(3, 1, k)));
  CHECK(near(b.grad().to_vector(), want(5, 100, k)));
  REQUIRE(c.grad().defined());  // on every rank: every optimizer updates c
  CHECK(near(c.grad().to_vector(), want(2, 1000, 1)));
}
