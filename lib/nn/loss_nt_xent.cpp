// SimCLR's NT-Xent over 2N views, fused: normalise, similarities with the
// matmul op (U U^T), masked log-softmax per row, mean over rows; the
// backward reuses the softmax probabilities.
#include <cmath>

#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {


Var nt_xent(const Var& z1v, const Var& z2v, float temperature) {
  OpTimer timer("loss.nt_xent");
  const Tensor& z1 = z1v.value();
  const Tensor& z2 = z2v.value();
  if (z1.shape() != z2.shape() || z1.rank() != 2)
    SSLKIT_FAIL(std::string("nt_xent views ") + shape_str(z1.shape()) + " and " + shape_str(z2.shape()));
  const int64_t N = z1.dim(0), D = z1.dim(1), M = 2 * N;
  // Stack and normalise: u = z / ||z||.
  Tensor u({M, D}, DType::f32);
  std::vector<float> norm(M);
#pragma omp parallel for
  for (int64_t i = 0; i < M; ++i) {
    const Tensor& src = i < N ? z1 : z2;
    const int64_t r = i < N ? i : i - N;
    double s = 0;
    for (int64_t d = 0; d < D; ++d) {
      float v = load(src, r * D + d);
      u.f32()[i * D + d] = v;
      s += static_cast<double>(v) * v;
    }
    norm[i] = static_cast<float>(std::max(std::sqrt(s), 1e-12));
    for (int64_t d = 0; d < D; ++d) u.f32()[i * D + d] /= norm[i];
  }
  // Logits s_ij = u_i.u_j / T, self excluded; P = softmax per row.
  Tensor p;
  {
    NoGrad ng;  // similarities U U^T; the backward below is written out
    p = matmul(Var(u), Var(u), /*transpose_b=*/true).value();
  }
  const float inv_t = 1.0f / temperature;
  double loss = 0;
#pragma omp parallel for reduction(+ : loss)
  for (int64_t i = 0; i < M; ++i) {
    float* row = p.f32() + i * M;
    float mx = -INFINITY;
    for (int64_t j = 0; j < M; ++j) {
      row[j] = j == i ? -INFINITY : row[j] * inv_t;
      mx = std::max(mx, row[j]);
    }
    double z = 0;
    for (int64_t j = 0; j < M; ++j) z += std::exp(static_cast<double>(row[j] - mx));
    const int64_t pos = i < N ? i + N : i - N;
    loss += -(row[pos] - mx - std::log(z));
    for (int64_t j = 0; j < M; ++j) row[j] = static_cast<float>(std::exp(static_cast<double>(row[j] - mx)) / z);
  }
  Tensor out = Tensor::full({1}, static_cast<float>(loss / M));
  return make_result(out, {z1v, z2v}, [=](Node& n) {
    OpTimer t("loss.nt_xent.bwd");
    const float g = n.grad.item() / static_cast<float>(M);
    // dL/ds_ij = g (P_ij - [j = pos(i)]); s = U U^T / T, so
    // dL/dU = (G + G^T) U / T with G that matrix.
    Tensor gs({M, M}, DType::f32);
#pragma omp parallel for
    for (int64_t i = 0; i < M; ++i) {
      const int64_t pos = i < N ? i + N : i - N;
      for (int64_t j = 0; j < M; ++j) {
        float gij = p.f32()[i * M + j] - (j == pos ? 1.f : 0.f);
        float gji = p.f32()[j * M + i] - (i == (j < N ? j + N : j - N) ? 1.f : 0.f);
        gs.f32()[i * M + j] = g * inv_t * (gij + gji);
      }
    }
    Tensor du;
    {
      NoGrad ng;
      du = matmul(Var(gs), Var(u)).value();
    }
    // Through the normalisation: dz = (du - u (u.du)) / ||z||.
    Tensor d1(z1.shape(), z1.dtype()), d2(z2.shape(), z2.dtype());
#pragma omp parallel for
    for (int64_t i = 0; i < M; ++i) {
      const float* ui = u.f32() + i * D;
      const float* gi = du.f32() + i * D;
      double dot = 0;
      for (int64_t d = 0; d < D; ++d) dot += static_cast<double>(ui[d]) * gi[d];
      Tensor& dst = i < N ? d1 : d2;
      const int64_t r = i < N ? i : i - N;
      for (int64_t d = 0; d < D; ++d) store(dst, r * D + d, static_cast<float>((gi[d] - ui[d] * dot) / norm[i]));
    }
    n.inputs[0]->accumulate(d1);
    n.inputs[1]->accumulate(d2);
  });
}

}  // namespace sslkit::nn
