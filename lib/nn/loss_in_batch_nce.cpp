// InfoNCE with in-batch negatives in one direction (SimCSE's loss): row i
// of z1 scored against every row of z2 by cosine similarity / T, row i of
// z2 the positive, the other rows the negatives; mean cross-entropy over
// the rows. Fused as nt_xent is: normalise, one matmul, softmax per row,
// and a backward that reuses the probabilities.
#include <cmath>

#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

namespace {

// Rows of z (any dtype) as f32 unit vectors, and each row's norm.
Tensor unit_rows(const Tensor& z, std::vector<float>& norm) {
  const int64_t N = z.dim(0), D = z.dim(1);
  Tensor u({N, D}, DType::f32);
  norm.assign(N, 0.f);
#pragma omp parallel for
  for (int64_t i = 0; i < N; ++i) {
    double s = 0;
    for (int64_t d = 0; d < D; ++d) {
      const float v = load(z, i * D + d);
      u.f32()[i * D + d] = v;
      s += static_cast<double>(v) * v;
    }
    // SimCSE's cosine clamps the norm at 1e-8 (torch's CosineSimilarity).
    norm[i] = static_cast<float>(std::max(std::sqrt(s), 1e-8));
    for (int64_t d = 0; d < D; ++d) u.f32()[i * D + d] /= norm[i];
  }
  return u;
}

// du (f32, [N,D]) through u = z / |z| into a gradient of z's dtype.
Tensor through_norm(const Tensor& du, const Tensor& u, const std::vector<float>& norm, const Tensor& z) {
  const int64_t N = u.dim(0), D = u.dim(1);
  Tensor dz(z.shape(), z.dtype());
#pragma omp parallel for
  for (int64_t i = 0; i < N; ++i) {
    const float* ui = u.f32() + i * D;
    const float* gi = du.f32() + i * D;
    double dot = 0;
    for (int64_t d = 0; d < D; ++d) dot += static_cast<double>(ui[d]) * gi[d];
    for (int64_t d = 0; d < D; ++d) store(dz, i * D + d, static_cast<float>((gi[d] - ui[d] * dot) / norm[i]));
  }
  return dz;
}

}  // namespace

Var in_batch_info_nce(const Var& z1v, const Var& z2v, float temperature) {
  OpTimer timer("loss.in_batch_info_nce");
  const Tensor& z1 = z1v.value();
  const Tensor& z2 = z2v.value();
  if (z1.shape() != z2.shape() || z1.rank() != 2 || z1.dim(0) < 1)
    SSLKIT_FAIL(std::string("in_batch_info_nce views ") + shape_str(z1.shape()) + " and " + shape_str(z2.shape()));
  if (!(temperature > 0)) SSLKIT_FAIL("in_batch_info_nce temperature " + std::to_string(temperature));
  const int64_t N = z1.dim(0);
  std::vector<float> n1, n2;
  const Tensor u1 = unit_rows(z1, n1), u2 = unit_rows(z2, n2);
  Tensor p;  // cosine similarities, then the softmax of each row
  {
    NoGrad ng;  // the backward below is written out
    p = matmul(Var(u1), Var(u2), /*transpose_b=*/true).value();
  }
  const float inv_t = 1.0f / temperature;
  double loss = 0;
#pragma omp parallel for reduction(+ : loss)
  for (int64_t i = 0; i < N; ++i) {
    float* row = p.f32() + i * N;
    float mx = -INFINITY;
    for (int64_t j = 0; j < N; ++j) mx = std::max(mx, row[j] *= inv_t);
    double z = 0;
    for (int64_t j = 0; j < N; ++j) z += std::exp(static_cast<double>(row[j] - mx));
    loss += std::log(z) - (row[i] - mx);
    for (int64_t j = 0; j < N; ++j) row[j] = static_cast<float>(std::exp(static_cast<double>(row[j] - mx)) / z);
  }
  Tensor out = Tensor::full({1}, static_cast<float>(loss / N));
  return make_result(out, {z1v, z2v}, [=](Node& n) {
    OpTimer t("loss.in_batch_info_nce.bwd");
    // dL/ds_ij = g (P_ij - [i = j]) / N with s = u1 u2^T / T, so
    // du1 = G u2 / T and du2 = G^T u1 / T.
    const float g = n.grad.item() / static_cast<float>(N) * inv_t;
    Tensor gs({N, N}, DType::f32), gst({N, N}, DType::f32);
#pragma omp parallel for
    for (int64_t i = 0; i < N; ++i)
      for (int64_t j = 0; j < N; ++j) {
        const float v = g * (p.f32()[i * N + j] - (i == j ? 1.f : 0.f));
        gs.f32()[i * N + j] = v;
        gst.f32()[j * N + i] = v;
      }
    Tensor du1, du2;
    {
      NoGrad ng;
      du1 = matmul(Var(gs), Var(u2)).value();
      du2 = matmul(Var(gst), Var(u1)).value();
    }
    n.inputs[0]->accumulate(through_norm(du1, u1, n1, z1));
    n.inputs[1]->accumulate(through_norm(du2, u2, n2, z2));
  });
}

}  // namespace sslkit::nn
