// wav2vec 2.0's two objectives, fused with their backward as nt_xent is:
// the codebook diversity penalty of the Gumbel quantizer and the contrastive
// loss over sampled distractors (fairseq's Wav2Vec2Model.compute_preds and
// the wav2vec criterion).
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

namespace {

constexpr int64_t kParallel = 1 << 14;

}  // namespace

// ---- codebook_diversity ----

Var codebook_diversity(const Var& lv, int64_t groups) {
  OpTimer timer("loss.codebook_diversity");
  const Tensor& logits = lv.value();
  if (logits.rank() != 2 || logits.dtype() != DType::f32)
    SSLKIT_FAIL(std::string("codebook_diversity of ") + shape_str(logits.shape()) + " " +
                dtype_name(logits.dtype()) + ", not f32 [N,G*V]");
  const int64_t N = logits.dim(0), GV = logits.dim(1);
  if (N <= 0 || groups <= 0 || GV % groups != 0)
    SSLKIT_FAIL("codebook_diversity of " + shape_str(logits.shape()) + " in " + std::to_string(groups) + " groups");
  const int64_t G = groups, V = GV / G;
  const float* l = logits.f32();
  // p: softmax of each group of each row.
  auto p = std::make_shared<std::vector<float>>(N * GV);
#pragma omp parallel for if (N * GV > kParallel)
  for (int64_t r = 0; r < N * G; ++r) {
    const float* lr = l + r * V;
    float* pr = p->data() + r * V;
    const float mx = *std::max_element(lr, lr + V);
    double z = 0;
    for (int64_t v = 0; v < V; ++v) z += std::exp(static_cast<double>(lr[v] - mx));
    for (int64_t v = 0; v < V; ++v) pr[v] = static_cast<float>(std::exp(static_cast<double>(lr[v] - mx)) / z);
  }
  // pbar: the mean over rows, one column per iteration.
  auto pbar = std::make_shared<std::vector<double>>(GV);
#pragma omp parallel for if (N * GV > kParallel)
  for (int64_t j = 0; j < GV; ++j) {
    double s = 0;
    for (int64_t n = 0; n < N; ++n) s += (*p)[n * GV + j];
    (*pbar)[j] = s / N;
  }
  // perp_g = exp(H(pbar_g)), with 0 log 0 = 0 (the limit). fairseq adds 1e-7
  // inside the log; the contract (and the by-hand values) are the exact entropy.
  auto perp = std::make_shared<std::vector<double>>(G);
  double total = 0;
  for (int64_t g = 0; g < G; ++g) {
    double h = 0;
    for (int64_t v = 0; v < V; ++v) {
      const double q = (*pbar)[g * V + v];
      if (q > 0) h -= q * std::log(q);
    }
    (*perp)[g] = std::exp(h);
    total += (*perp)[g];
  }
  Tensor out = Tensor::full({1}, static_cast<float>((GV - total) / GV));
  return make_result(out, {lv}, [p, pbar, perp, N, G, V, GV](Node& nd) {
    OpTimer t("loss.codebook_diversity.bwd");
    const double gout = nd.grad.item();
    // dL/dpbar_gv = exp(H_g) (log pbar_gv + 1) / GV; the "+ 1" is the same for
    // every v of a group and the softmax backward below removes any such
    // constant, so it is left out. pbar is floored so that an entry no row
    // uses (pbar = 0, and then p = 0 too) gives 0 rather than 0 * -inf.
    std::vector<double> dp(GV);
    for (int64_t j = 0; j < GV; ++j)
      dp[j] = gout * (*perp)[j / V] * std::log(std::max((*pbar)[j], 1e-300)) / (static_cast<double>(GV) * N);
    Tensor dl({N, GV}, DType::f32);
#pragma omp parallel for if (N * GV > kParallel)
    for (int64_t r = 0; r < N * G; ++r) {
      const float* pr = p->data() + r * V;
      const double* dpr = dp.data() + (r % G) * V;
      double dot = 0;
      for (int64_t v = 0; v < V; ++v) dot += pr[v] * dpr[v];
      for (int64_t v = 0; v < V; ++v) dl.f32()[r * V + v] = static_cast<float>(pr[v] * (dpr[v] - dot));
    }
    nd.inputs[0]->accumulate(dl);
  });
}

// ---- contrastive_distractors ----

Var contrastive_distractors(const Var& cv, const Var& qv, const std::vector<int32_t>& distractors, int64_t K,
                            float temperature, double* accuracy) {
  OpTimer timer("loss.contrastive_distractors");
  const Tensor& c = cv.value();
  const Tensor& q = qv.value();
  if (c.rank() != 2 || c.shape() != q.shape())
    SSLKIT_FAIL(std::string("contrastive_distractors of context ") + shape_str(c.shape()) + " and targets " +
                shape_str(q.shape()) + ", not both [M,D]");
  const int64_t M = c.dim(0), D = c.dim(1), J = K + 1;  // J logits a row: the positive, then K distractors
  if (K < 0 || static_cast<int64_t>(distractors.size()) != M * K)
    SSLKIT_FAIL("contrastive_distractors with " + std::to_string(distractors.size()) + " distractors for " +
                std::to_string(M) + " rows of " + std::to_string(K));
  for (auto n : distractors)
    if (n < 0 || n >= M) SSLKIT_FAIL("contrastive_distractors distractor row " + std::to_string(n) + " of " +
                                     std::to_string(M));
  // Target of logit j of row m: q_m for j = 0, else q of distractor j - 1.
  // The backward keeps its own copy of the indices (the caller's may be gone).
  auto dis = std::make_shared<const std::vector<int32_t>>(distractors);
  auto target = [dis, K](int64_t m, int64_t j) -> int64_t { return j == 0 ? m : (*dis)[m * K + j - 1]; };

  // u = c / ||c||, w = q / ||q|| in f32 (either dtype in), norms floored at
  // 1e-8 as torch.cosine_similarity.
  constexpr double kEps = 1e-8;
  auto normalise = [&](const Tensor& x, Tensor& u, std::vector<float>& norm) {
#pragma omp parallel for if (M * D > kParallel)
    for (int64_t i = 0; i < M; ++i) {
      double s = 0;
      for (int64_t d = 0; d < D; ++d) {
        const float v = load(x, i * D + d);
        u.f32()[i * D + d] = v;
        s += static_cast<double>(v) * v;
      }
      norm[i] = static_cast<float>(std::max(std::sqrt(s), kEps));
      for (int64_t d = 0; d < D; ++d) u.f32()[i * D + d] /= norm[i];
    }
  };
  Tensor u({M, D}, DType::f32), w({M, D}, DType::f32);
  std::vector<float> cnorm(M), qnorm(M);
  normalise(c, u, cnorm);
  normalise(q, w, qnorm);

  // prob: the softmax of each row's J logits (0 where the logit is -inf).
  auto prob = std::make_shared<std::vector<float>>(M * J);
  const float inv_t = 1.0f / temperature;
  double loss = 0;
  int64_t correct = 0;
#pragma omp parallel for reduction(+ : loss, correct) if (M * J * D > kParallel)
  for (int64_t m = 0; m < M; ++m) {
    float* lg = prob->data() + m * J;
    const float* um = u.f32() + m * D;
    for (int64_t j = 0; j < J; ++j) {
      const int64_t n = target(m, j);
      // neg_is_pos: a distractor equal to the positive target (the same row,
      // or a repeated code) would be a positive counted as a negative.
      bool same = j > 0;
      for (int64_t d = 0; same && d < D; ++d) same = load(q, n * D + d) == load(q, m * D + d);
      if (same) {
        lg[j] = -INFINITY;
        continue;
      }
      double s = 0;
      for (int64_t d = 0; d < D; ++d) s += static_cast<double>(um[d]) * w.f32()[n * D + d];
      lg[j] = static_cast<float>(s) * inv_t;
    }
    // fairseq's accuracy: argmax == 0 and not argmin == 0 (a row of equal
    // logits counts as wrong): the positive is >= every distractor and > one.
    float mx = lg[0], mn = lg[0];
    for (int64_t j = 1; j < J; ++j) mx = std::max(mx, lg[j]), mn = std::min(mn, lg[j]);
    correct += lg[0] >= mx && !(lg[0] <= mn);
    // The positive is never -inf, so the row max is finite.
    double z = 0;
    for (int64_t j = 0; j < J; ++j) z += std::exp(static_cast<double>(lg[j] - mx));
    loss += std::log(z) - (lg[0] - mx);
    for (int64_t j = 0; j < J; ++j) lg[j] = static_cast<float>(std::exp(static_cast<double>(lg[j] - mx)) / z);
  }
  if (accuracy) *accuracy = M > 0 ? static_cast<double>(correct) / M : 0.0;
  Tensor out = Tensor::full({1}, static_cast<float>(M > 0 ? loss / M : 0.0));

  return make_result(out, {cv, qv}, [=](Node& nd) {
    OpTimer t("loss.contrastive_distractors.bwd");
    // dL/dcos_mj = g (P_mj - [j = 0]) / (M T); cos_mj = u_m . w_target(m,j),
    // so du_m = sum_j dcos_mj w_target and dw_n = sum over (m,j) aiming at n
    // of dcos_mj u_m. An excluded (-inf) logit has P = 0: no gradient.
    const double g = static_cast<double>(nd.grad.item()) * inv_t / static_cast<double>(M);
    std::vector<float> dcos(M * J);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t j = 0; j < J; ++j) dcos[m * J + j] = static_cast<float>(g * ((*prob)[m * J + j] - (j == 0)));
    // The rows of q are targets of many logits: invert the (m, j) -> n map
    // (counting sort) so the scatter runs parallel over n without collisions.
    std::vector<int64_t> start(M + 1, 0), hits(M * J);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t j = 0; j < J; ++j) ++start[target(m, j) + 1];
    for (int64_t n = 0; n < M; ++n) start[n + 1] += start[n];
    {
      std::vector<int64_t> fill(start.begin(), start.end() - 1);
      for (int64_t m = 0; m < M; ++m)
        for (int64_t j = 0; j < J; ++j) hits[fill[target(m, j)]++] = m * J + j;
    }
    // Through the normalisation: dx = (du - u (u.du)) / ||x|| (du / eps when
    // the norm was floored, u = x / eps being linear there).
    auto unnormalise = [D](const float* ui, float* gi, float norm) {
      if (norm <= kEps) {
        for (int64_t d = 0; d < D; ++d) gi[d] /= norm;
        return;
      }
      double dot = 0;
      for (int64_t d = 0; d < D; ++d) dot += static_cast<double>(ui[d]) * gi[d];
      for (int64_t d = 0; d < D; ++d) gi[d] = static_cast<float>((gi[d] - ui[d] * dot) / norm);
    };
    Tensor dc = Tensor::zeros({M, D}), dq = Tensor::zeros({M, D});
#pragma omp parallel for if (M * J * D > kParallel)
    for (int64_t i = 0; i < M; ++i) {
      float* gc = dc.f32() + i * D;
      for (int64_t j = 0; j < J; ++j) {
        const float a = dcos[i * J + j];
        const float* wn = w.f32() + target(i, j) * D;
        for (int64_t d = 0; d < D; ++d) gc[d] += a * wn[d];
      }
      unnormalise(u.f32() + i * D, gc, cnorm[i]);
      float* gq = dq.f32() + i * D;
      for (int64_t h = start[i]; h < start[i + 1]; ++h) {
        const float a = dcos[hits[h]];
        const float* um = u.f32() + (hits[h] / J) * D;
        for (int64_t d = 0; d < D; ++d) gq[d] += a * um[d];
      }
      unnormalise(w.f32() + i * D, gq, qnorm[i]);
    }
    // accumulate converts to the inputs' dtype.
    if (nd.inputs[0]->requires_grad) nd.inputs[0]->accumulate(dc);
    if (nd.inputs[1]->requires_grad) nd.inputs[1]->accumulate(dq);
  });
}

}  // namespace sslkit::nn
