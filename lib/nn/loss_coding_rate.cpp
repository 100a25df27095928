// EMP-SSL's objective (Tong et al. 2023, tsb0601/EMP-SSL): the total coding
// rate of each crop's normalised projections, which spreads a batch over
// every direction, and the cosine of each crop to the mean of its image's
// crops, which pulls an image's crops together. One primitive with its own
// backward (the log-determinant of a symmetric positive definite matrix, by
// Cholesky in double); the rest is composed from gradient-checked ops.
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"

namespace sslkit::nn {

namespace {

// In-place Cholesky of the n x n matrix a (row-major, lower triangle used):
// a = L L^T with L in the lower triangle. False when a is not positive definite.
bool cholesky(std::vector<double>& a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int64_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) return false;
    const double ljj = std::sqrt(d);
    a[j * n + j] = ljj;
    for (int64_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (int64_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / ljj;
    }
  }
  return true;
}

// The inverse of L L^T from the Cholesky factor L: L^-1 by forward
// substitution, then L^-T L^-1.
std::vector<double> inverse_from_cholesky(const std::vector<double>& l, int64_t n) {
  std::vector<double> li(n * n, 0.0);
  for (int64_t j = 0; j < n; ++j) {
    li[j * n + j] = 1.0 / l[j * n + j];
    for (int64_t i = j + 1; i < n; ++i) {
      double s = 0;
      for (int64_t k = j; k < i; ++k) s += l[i * n + k] * li[k * n + j];
      li[i * n + j] = -s / l[i * n + i];
    }
  }
  std::vector<double> inv(n * n, 0.0);
#pragma omp parallel for if (n >= 128)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double s = 0;
      for (int64_t k = i; k < n; ++k) s += li[k * n + i] * li[k * n + j];  // L^-1 is lower: k >= max(i, j)
      inv[i * n + j] = inv[j * n + i] = s;
    }
  return inv;
}

}  // namespace

Var logdet_spd(const Var& mv) {
  const Tensor& m = mv.value();
  if (m.rank() != 2 || m.dim(0) != m.dim(1)) SSLKIT_FAIL("logdet_spd of " + shape_str(m.shape()) + ": not square");
  const int64_t n = m.dim(0);
  // Symmetrised, so the gradient is that of a symmetric matrix function.
  std::vector<double> a(n * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) a[i * n + j] = 0.5 * (load(m, i * n + j) + load(m, j * n + i));
  if (!cholesky(a, n)) SSLKIT_FAIL("logdet_spd: the matrix is not positive definite");
  double logdet = 0;
  for (int64_t i = 0; i < n; ++i) logdet += 2.0 * std::log(a[i * n + i]);
  const DType dt = m.dtype();
  return make_result(Tensor::full({1}, static_cast<float>(logdet)), {mv}, [a, n, dt](Node& node) {
    // d logdet(M) / dM = M^-1 (symmetric), times the incoming scalar.
    const double g = node.grad.item();
    const std::vector<double> inv = inverse_from_cholesky(a, n);
    Tensor gm({n, n}, dt);
    for (int64_t i = 0; i < n * n; ++i) store(gm, i, static_cast<float>(g * inv[i]));
    node.inputs[0]->accumulate(gm);
  });
}

Var total_coding_rate(const Var& z, float eps) {
  if (z.shape().size() != 2) SSLKIT_FAIL("total_coding_rate of " + shape_str(z.shape()) + ": want [N,D]");
  const int64_t N = z.shape()[0], D = z.shape()[1];
  Var x = cast(z, DType::f32);
  const float s = static_cast<float>(D) / (static_cast<float>(N) * eps);
  // logdet(I_D + s Z^T Z) = logdet(I_N + s Z Z^T) (Sylvester): the smaller side.
  Var gram = D <= N ? matmul(transpose(x, 0, 1), x) : matmul(x, x, /*transpose_b=*/true);
  const int64_t n = std::min(N, D);
  Tensor eye = Tensor::zeros({n, n});
  for (int64_t i = 0; i < n; ++i) eye.f32()[i * n + i] = 1.f;
  return scale(logdet_spd(add(Var(eye), scale(gram, s))), -0.5f);
}

Var crop_mean_cosine(const Var& z, int64_t crops) {
  const int64_t rows = z.shape()[0], D = z.shape()[1];
  if (crops < 1 || rows % crops != 0)
    SSLKIT_FAIL("crop_mean_cosine: " + std::to_string(rows) + " rows are not " + std::to_string(crops) + " crops");
  const int64_t B = rows / crops;
  Var x = cast(z, DType::f32);
  // The mean over crops of each image: [1, V] x [V, B*D], repeated per crop.
  Var mean = reshape(matmul(Var(Tensor::full({1, crops}, 1.0f / static_cast<float>(crops))), reshape(x, {crops, B * D})),
                     {B, D});
  Var each = concat(std::vector<Var>(static_cast<size_t>(crops), mean), 0);
  Var cos = mul(l2_normalize(x), l2_normalize(each));
  return scale(sum(cos), 1.0f / static_cast<float>(rows));
}

}  // namespace sslkit::nn
