// Differentiable ops. Each takes and returns Vars; its forward and backward
// sit side by side in one file per family (ops_conv.cpp, ops_linear.cpp, ...).
// Activations are channels-last and row-major (see tensor.hpp); parameters
// are f32 master weights in PyTorch's layouts ([O,C/g,kh,kw] for conv,
// [O,K] for linear), so a bf16 op converts them per call and returns f32
// weight gradients.
#pragma once
#include <cstdint>
#include <vector>

#include "core/rng.hpp"
#include "nn/var.hpp"

namespace sslkit::nn {

struct ConvParams {
  std::vector<int64_t> stride{1, 1}, padding{0, 0}, dilation{1, 1};
  int64_t groups = 1;
};

// x [N,H,W,C], w [O,C/groups,kh,kw], b [O] or undefined -> [N,H',W',O].
Var conv2d(const Var& x, const Var& w, const Var& b, const ConvParams& p = {});
// x [N,T,C], w [O,C/groups,k], b [O] or undefined -> [N,T',O] (ConvParams of one element each).
Var conv1d(const Var& x, const Var& w, const Var& b, const ConvParams& p = {{1}, {0}, {1}, 1});
// x [...,K], w [O,K], b [O] or undefined -> [...,O].
Var linear(const Var& x, const Var& w, const Var& b);
// a [B,M,K] or [M,K]; b [B,K,N] or [K,N] (or [..,N,K] with transpose_b) -> [B,M,N].
Var matmul(const Var& a, const Var& b, bool transpose_b = false);

// Over the last (channel) axis of x [N,...,C]. In training, normalises with
// batch statistics and updates the running ones (momentum as PyTorch:
// running = (1-m) running + m batch, unbiased variance); in eval uses them.
Var batchnorm(const Var& x, const Var& gamma, const Var& beta, Tensor& running_mean, Tensor& running_var,
              bool training, float momentum = 0.1f, float eps = 1e-5f);
// relu(batchnorm(x)) in one oneDNN pass (fuse_norm_relu).
Var batchnorm_relu(const Var& x, const Var& gamma, const Var& beta, Tensor& running_mean, Tensor& running_var,
                   bool training, float momentum = 0.1f, float eps = 1e-5f);
// Over the last axis.
Var layernorm(const Var& x, const Var& gamma, const Var& beta, float eps = 1e-5f);

Var relu(const Var& x);
Var gelu(const Var& x);  // the erf form
Var tanh(const Var& x);  // BERT's pooler

// x [N,H,W,C].
Var max_pool2d(const Var& x, int64_t kernel, int64_t stride, int64_t padding = 0);
Var avg_pool2d(const Var& x, int64_t kernel, int64_t stride, int64_t padding = 0);
// x [N,H,W,C] -> [N,C].
Var global_avg_pool(const Var& x);

// Attention scores [B*H, T, T] (H heads per sequence) times `scale`, with
// the columns of padding keys (key_padding_mask [B*T], nonzero = padding)
// set to -1e9, a constant: softmax then gives them exactly 0, and a row whose
// keys are all padding gets equal weights instead of NaN. Empty mask: scale only.
Var scale_mask_keys(const Var& scores, float scale, const std::vector<uint8_t>& key_padding_mask);

// Over the last axis.
Var softmax(const Var& x);
Var log_softmax(const Var& x);

// a + b with b the same shape, or b of shape [C] broadcast over a [...,C].
Var add(const Var& a, const Var& b);
Var sub(const Var& a, const Var& b);
// Elementwise a * b, same shapes.
Var mul(const Var& a, const Var& b);
Var scale(const Var& x, float s);
Var concat(const std::vector<Var>& xs, int axis);
Var reshape(const Var& x, const Shape& shape);
// Swaps two axes (a copy).
Var transpose(const Var& x, int axis0, int axis1);
// Rows [start, start+count) of axis 0.
Var slice_rows(const Var& x, int64_t start, int64_t count);
// Converts the dtype (bf16 activations in, f32 losses out); gradient converts back.
Var cast(const Var& x, DType dtype);
Var sum(const Var& x);   // scalar f32
Var mean(const Var& x);  // scalar f32

// x / max(||x||, eps) over the last axis.
Var l2_normalize(const Var& x, float eps = 1e-12f);
// table [V,D], ids (any count) -> [ids.size(), D].
Var embedding(const Var& table, const std::vector<int32_t>& ids);
// Inverted dropout: zero with probability p, scale the rest by 1/(1-p).
Var dropout(const Var& x, float p, bool training, Rng& rng);

// ---- losses (scalar f32 Vars) ----
// Mean cross-entropy of logits [N,K] against targets, skipping ignore_index.
Var cross_entropy(const Var& logits, const std::vector<int32_t>& targets, int32_t ignore_index = -100);
// SimCLR NT-Xent over 2N views: z1, z2 [N,D] (normalised inside); the
// positive of row i is the other view of the same image.
Var nt_xent(const Var& z1, const Var& z2, float temperature);
// InfoNCE with in-batch negatives in one direction (SimCSE): z1, z2 [N,D]
// (normalised inside); row i of z1 against every row of z2 by cosine / T,
// row i of z2 its positive; the mean over rows.
Var in_batch_info_nce(const Var& z1, const Var& z2, float temperature);
// x [n,...] f32 on each of K ranks -> [K*n,...], rank 0's rows first (an
// all-gather); backward: this rank's block of the gradient summed over ranks
// (a reduce-scatter). One process: x itself.
Var gather_rows(const Var& x);
// MoCo InfoNCE: q, k [N,D] (normalised inside, k gets no gradient), queue
// [K,D] of normalised negatives; positive logit first.
Var info_nce(const Var& q, const Var& k, const Tensor& queue, float temperature);
// Mean squared error over the rows where mask is 1: pred, target [N,M,D],
// mask [N*M] (MAE: masked patches only).
Var mse_masked(const Var& pred, const Var& target, const std::vector<uint8_t>& mask);
// -mean cosine(p, z) over rows (SimSiam/BYOL; pass z detached).
Var neg_cosine(const Var& p, const Var& z);
// Barlow Twins: sum (1-C_ii)^2 + lambda sum_{i!=j} C_ij^2, C the cross-
// correlation of the batch-standardised z1, z2 [N,D].
Var barlow_twins(const Var& z1, const Var& z2, float lambda = 5e-3f);
// VICReg: sim * MSE + var * (hinge on std, both branches) + cov * off-diagonal covariance.
Var vicreg(const Var& z1, const Var& z2, float sim = 25, float var = 25, float cov = 1);

// ---- EMP-SSL (loss_coding_rate.cpp) ----
// log det(M) of a symmetric positive definite m [n,n] (Cholesky in double);
// gradient M^-1. Fails on a matrix that is not positive definite.
Var logdet_spd(const Var& m);
// The total coding rate loss of z [N,D]: -1/2 logdet(I + D/(N eps) Z^T Z)
// (EMP-SSL's TotalCodingRate, eps 0.2 there), through the smaller of the
// two Gram matrices. Lower when the rows spread over more directions.
Var total_coding_rate(const Var& z, float eps);
// z [crops*B, D], crop c of image b at row c*B + b: the mean over rows of
// cos(z_row, mean of its image's crops); the gradient reaches the mean too
// (EMP-SSL's Similarity_Loss, which the loss subtracts).
Var crop_mean_cosine(const Var& z, int64_t crops);

// ---- wav2vec 2.0 (ops_group_norm.cpp, ops_arith.cpp, ops_replace_masked.cpp,
// ops_gumbel.cpp, loss_wav2vec.cpp) ----
// Group normalisation of x [N,T,C] (channels-last; PyTorch's GroupNorm on
// [N,C,T]): the C channels split into `groups` of C/groups; each (sample,
// group) is normalised over its T x C/groups values (biased variance), then
// scaled and shifted per channel by gamma, beta [C]. groups == C is
// wav2vec 2.0's first feature layer (each channel normalised over time).
// Any dtype in, the same dtype out; statistics in f32.
Var group_norm(const Var& x, int64_t groups, const Var& gamma, const Var& beta, float eps = 1e-5f);
// Identity forward; backward multiplies the gradient by s (wav2vec 2.0's
// feature_grad_mult: the feature encoder learns at a tenth of the rate).
Var scale_grad(const Var& x, float s);
// x [B,T,D] with every row t of sample b where mask[b*T+t] is 1 replaced by
// emb [D] (the learned mask embedding); gradients to x at the kept rows and
// to emb summed over the replaced ones. The dtype of x; emb is f32.
Var replace_masked(const Var& x, const std::vector<uint8_t>& mask, const Var& emb);
// Gumbel-softmax with the straight-through estimator over `groups` groups of
// logits [N, G*V] (f32): forward the one-hot of argmax_v (logits + g) / tau
// per group (g Gumbel(0,1) noise from rng; no noise when !training), backward
// the gradient of softmax((logits + g) / tau), the same noise (Jang et al.,
// wav2vec 2.0's quantizer, torch.nn.functional.gumbel_softmax(hard=True)).
Var gumbel_softmax_st(const Var& logits, int64_t groups, float tau, bool training, Rng& rng);
// wav2vec 2.0's codebook diversity loss on logits [N, G*V] (f32, no noise):
// (G*V - sum_g exp(H(pbar_g))) / (G*V), pbar_g the mean over the N rows of
// softmax(logits of group g), H the entropy in nats (sum_g exp(H) is the
// "prob perplexity"). 0 when every entry is used equally, near 1 when one.
Var codebook_diversity(const Var& logits, int64_t groups);
// wav2vec 2.0's contrastive loss (InfoNCE over cosine similarity): for each
// row m of c [M,D] (context at masked frames), logits = cos(c_m, q_m) / T
// followed by cos(c_m, q_n) / T for the K distractor rows n =
// distractors[m*K + k] of q [M,D] (quantized targets); a distractor whose
// target equals q_m in every dimension gets -inf (fairseq's neg_is_pos).
// Returns the mean over rows of the cross-entropy with the positive at index
// 0 (f32); gradients flow to c and q. `accuracy`, when given, receives the
// fraction of rows whose positive logit is the largest.
Var contrastive_distractors(const Var& c, const Var& q, const std::vector<int32_t>& distractors, int64_t K,
                            float temperature, double* accuracy = nullptr);

}  // namespace sslkit::nn
