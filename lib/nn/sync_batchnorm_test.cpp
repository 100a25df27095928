// Synchronised batch norm on one process: its all-reduces are identities, so
// it must equal the ordinary batch norm in every output. That tests its own
// math (statistics computed here, oneDNN's use_global_stats, the backward's
// correction for the mean and variance) apart from MPI; the 2-rank case is
// sync_batchnorm_mpitest.cpp.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/engine.hpp"
#include "nn/ops.hpp"
#include "nn/sync_batchnorm.hpp"
#include "nn/test_util.hpp"

using namespace sslkit;
using namespace sslkit::nn;
using namespace sslkit::nn::testing;

namespace {

struct BnRun {
  std::vector<float> y, dx, dgamma, dbeta, running_mean, running_var;
};

// Forward and backward of batch norm (fused with ReLU or not) in training
// mode, with the upstream gradient fixed, synchronised or not.
BnRun run_bn(const Tensor& x, const Tensor& g, const Tensor& b, bool relu_fused, bool sync) {
  SyncBatchNorm scope(sync);
  Var xv(x.clone(), true), gv(g.clone(), true), bv(b.clone(), true);
  Tensor rm = Tensor::full({g.numel()}, 0.25f), rv = Tensor::full({g.numel()}, 2.f);
  Var y = relu_fused ? batchnorm_relu(xv, gv, bv, rm, rv, true) : batchnorm(xv, gv, bv, rm, rv, true);
  y.backward(random_tensor(y.shape(), 77).to(y.dtype()));
  return {y.value().to_vector(),    xv.grad().to_vector(), gv.grad().to_vector(), bv.grad().to_vector(),
          rm.to_vector(),           rv.to_vector()};
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float f : v) m = std::max(m, std::fabs(static_cast<double>(f)));
  return m;
}

// Worst |a - b| over the scale of b (at least 1).
double rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double e = 0;
  for (size_t i = 0; i < a.size(); ++i) e = std::max(e, std::fabs(static_cast<double>(a[i]) - b[i]));
  return e / std::max(1.0, max_abs(b));
}

void check_equal_paths(DType dt, double tol) {
  // Channels with a mean far from 0 and unequal spreads: a correction that
  // dropped the mean's or the variance's term would show.
  for (const Shape& shape : {Shape{4, 3, 2, 5}, Shape{12, 6}})
    for (bool fused : {false, true}) {
      const int64_t C = shape.back();
      Tensor x = random_tensor(shape, 21, -1, 3);
      for (int64_t i = 0; i < x.numel(); ++i) x.f32()[i] *= 1.0f + static_cast<float>(i % C);
      x = x.to(dt);
      Tensor g = random_tensor({C}, 22, 0.5, 1.5), b = random_tensor({C}, 23);
      const BnRun plain = run_bn(x, g, b, fused, false), synced = run_bn(x, g, b, fused, true);
      INFO(dtype_name(dt) << " shape " << shape_str(shape) << (fused ? " fused relu" : ""));
      CHECK(rel_diff(synced.y, plain.y) < tol);
      CHECK(rel_diff(synced.dx, plain.dx) < tol);
      CHECK(rel_diff(synced.dgamma, plain.dgamma) < tol);
      CHECK(rel_diff(synced.dbeta, plain.dbeta) < tol);
      CHECK(rel_diff(synced.running_mean, plain.running_mean) < 1e-5);
      CHECK(rel_diff(synced.running_var, plain.running_var) < 1e-5);
    }
}

}  // namespace

TEST_CASE("synchronised batchnorm on one process equals batchnorm in f32 with and without fused relu") {
  init_engine();
  check_equal_paths(DType::f32, 2e-5);
}

TEST_CASE("synchronised batchnorm on one process equals batchnorm in bf16") {
  init_engine();
  if (!cpu_supports_bf16()) {
    MESSAGE("bf16 not checked: oneDNN has no bf16 kernels for this CPU (" << cpu_isa_name() << ")");
    return;
  }
  // The same bf16 input; dx is rounded to bf16 once more after the
  // correction (2^-8 relative), the statistics are the same to f32.
  check_equal_paths(DType::bf16, 2e-2);
}

TEST_CASE("synchronised batchnorm gradients by finite differences") {
  init_engine();
  SyncBatchNorm scope(true);
  for (bool fused : {false, true})
    check_grad(
        [&](const std::vector<Var>& v) {
          Tensor m = Tensor::zeros({3}), s = Tensor::full({3}, 1.f);
          return fused ? batchnorm_relu(v[0], v[1], v[2], m, s, true) : batchnorm(v[0], v[1], v[2], m, s, true);
        },
        {random_tensor({2, 3, 2, 3}, 9, -1, 2), random_tensor({3}, 10, 0.5, 1.5), random_tensor({3}, 11)}, 5e-3,
        1e-3);
}

TEST_CASE("synchronised batchnorm under no-grad in training mode takes batch statistics and leaves the running ones") {
  // A BYOL/MoCo teacher: training-mode statistics without a tape; the running
  // statistics are left alone, as the ordinary path leaves them.
  init_engine();
  Tensor x = random_tensor({8, 4}, 31, -2, 2), g = random_tensor({4}, 32, 0.5, 1.5), b = random_tensor({4}, 33);
  std::vector<float> ys[2];
  for (bool sync : {false, true}) {
    SyncBatchNorm scope(sync);
    NoGrad ng;
    Tensor rm = Tensor::zeros({4}), rv = Tensor::full({4}, 1.f);
    ys[sync] = batchnorm(Var(x), Var(g), Var(b), rm, rv, true).value().to_vector();
    CHECK(rm.to_vector() == std::vector<float>(4, 0.f));
    CHECK(rv.to_vector() == std::vector<float>(4, 1.f));
  }
  CHECK(rel_diff(ys[1], ys[0]) < 1e-5);
}

TEST_CASE("SyncBatchNorm is a scope") {
  CHECK_FALSE(sync_batchnorm_enabled());
  {
    SyncBatchNorm on(true);
    CHECK(sync_batchnorm_enabled());
    {
      SyncBatchNorm off(false);
      CHECK_FALSE(sync_batchnorm_enabled());
    }
    CHECK(sync_batchnorm_enabled());
  }
  CHECK_FALSE(sync_batchnorm_enabled());
}
