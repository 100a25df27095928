// The other SSL objectives, composed from differentiable ops so their
// gradients come from the tape (each op is gradient-checked on its own):
// MoCo's InfoNCE, MAE's masked MSE, the negative cosine of BYOL/SimSiam,
// Barlow Twins and VICReg, as the reference implementations compute them.
#include <cmath>

#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"
#include "nn/sync_batchnorm.hpp"

namespace sslkit::nn {

namespace {

// Row sums of x [N,D] as [N,1] (a matmul with a column of ones).
Var row_sum(const Var& x) {
  return matmul(x, Var(Tensor::full({x.shape()[1], 1}, 1.f, x.dtype())));
}

// Column sums of x [N,D] times s, as [D].
Var col_sum(const Var& x, float s) {
  const int64_t N = x.shape()[0], D = x.shape()[1];
  return reshape(matmul(Var(Tensor::full({1, N}, s, x.dtype())), x), {D});
}

// sqrt(x + eps) elementwise, for VICReg's standard deviations.
Var sqrt_eps(const Var& xv, float eps) {
  const Tensor& x = xv.value();
  Tensor y(x.shape(), x.dtype());
  for (int64_t i = 0; i < x.numel(); ++i) store(y, i, std::sqrt(load(x, i) + eps));
  return make_result(y, {xv}, [=](Node& n) {
    Tensor g(x.shape(), x.dtype());
    for (int64_t i = 0; i < x.numel(); ++i) store(g, i, load(n.grad, i) * 0.5f / load(y, i));
    n.inputs[0]->accumulate(g);
  });
}

Var identity_like(int64_t D, float diag, float off) {
  Tensor t = Tensor::full({D, D}, off);
  for (int64_t i = 0; i < D; ++i) t.f32()[i * D + i] = diag;
  return Var(t);
}

}  // namespace

Var info_nce(const Var& q, const Var& k, const Tensor& queue, float temperature) {
  const int64_t N = q.shape()[0];
  Var qn = l2_normalize(cast(q, DType::f32));
  Var kn = l2_normalize(cast(k, DType::f32)).detach();
  Var pos = row_sum(mul(qn, kn));                                   // [N,1]
  Var neg = matmul(qn, Var(queue.to(DType::f32)), /*transpose_b=*/true);  // [N,K]
  Var logits = scale(concat({pos, neg}, 1), 1.0f / temperature);
  return cross_entropy(logits, std::vector<int32_t>(N, 0));
}

Var mse_masked(const Var& pred, const Var& target, const std::vector<uint8_t>& mask) {
  const int64_t D = pred.shape().back(), rows = pred.value().numel() / D;
  if (static_cast<int64_t>(mask.size()) != rows)
    SSLKIT_FAIL(std::string("mse_masked mask of ") + std::to_string(mask.size()) + " for " + std::to_string(rows) + " rows");
  Tensor m({rows, D}, DType::f32);
  int64_t count = 0;
  for (int64_t r = 0; r < rows; ++r) {
    count += mask[r] != 0;
    for (int64_t d = 0; d < D; ++d) m.f32()[r * D + d] = mask[r] ? 1.f : 0.f;
  }
  // MAE: per-patch mean over D, then the mean over masked patches.
  Var diff = reshape(sub(cast(pred, DType::f32), cast(target, DType::f32)), {rows, D});
  Var sq = mul(mul(diff, diff), Var(m));
  return scale(sum(sq), 1.0f / static_cast<float>(std::max<int64_t>(1, count) * D));
}

Var neg_cosine(const Var& p, const Var& z) {
  const int64_t N = p.shape()[0];
  Var c = row_sum(mul(l2_normalize(cast(p, DType::f32)), l2_normalize(cast(z, DType::f32))));
  return scale(sum(c), -1.0f / static_cast<float>(N));
}

Var barlow_twins(const Var& z1, const Var& z2, float lambda) {
  const int64_t N = z1.shape()[0], D = z1.shape()[1];
  // The reference standardises each dimension over the batch with an
  // affine-free BatchNorm1d (biased variance, eps 1e-5).
  auto standardise = [&](const Var& z) {
    // Over K ranks z holds every rank's rows already (gathered): the
    // statistics are the global batch's without a synchronised batch norm.
    SyncBatchNorm local(false);
    Tensor rm = Tensor::zeros({D}), rv = Tensor::full({D}, 1.f);
    return batchnorm(cast(z, DType::f32), Var(Tensor::full({D}, 1.f)), Var(Tensor::zeros({D})), rm, rv, true);
  };
  Var c = scale(matmul(transpose(standardise(z1), 0, 1), standardise(z2)), 1.0f / static_cast<float>(N));
  Var d = sub(c, identity_like(D, 1.f, 0.f));
  return sum(mul(mul(d, d), identity_like(D, 1.f, lambda)));
}

Var vicreg(const Var& z1, const Var& z2, float sim_w, float var_w, float cov_w) {
  const int64_t N = z1.shape()[0], D = z1.shape()[1];
  Var x = cast(z1, DType::f32), y = cast(z2, DType::f32);
  Var d = sub(x, y);
  Var repr = scale(sum(mul(d, d)), 1.0f / static_cast<float>(N * D));
  auto std_and_cov = [&](const Var& z, Var& std_loss, Var& cov_loss) {
    Var zc = sub(z, col_sum(z, 1.0f / static_cast<float>(N)));          // centred
    Var var = col_sum(mul(zc, zc), 1.0f / static_cast<float>(N - 1));   // unbiased, as torch.var
    Var sd = sqrt_eps(var, 1e-4f);
    std_loss = scale(sum(relu(scale(sub(sd, Var(Tensor::full({D}, 1.f))), -1.f))), 1.0f / static_cast<float>(D));
    Var cov = scale(matmul(transpose(zc, 0, 1), zc), 1.0f / static_cast<float>(N - 1));
    cov_loss = scale(sum(mul(mul(cov, cov), identity_like(D, 0.f, 1.f))), 1.0f / static_cast<float>(D));
  };
  Var sx, cx, sy, cy;
  std_and_cov(x, sx, cx);
  std_and_cov(y, sy, cy);
  Var std_loss = scale(add(sx, sy), 0.5f);
  Var cov_loss = add(cx, cy);
  return add(add(scale(repr, sim_w), scale(std_loss, var_w)), scale(cov_loss, cov_w));
}

}  // namespace sslkit::nn
