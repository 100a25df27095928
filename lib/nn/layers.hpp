// The basic modules: Conv2d, Linear, BatchNorm, MLP. Parameters are
// initialised as PyTorch does by default, so side-by-side runs compare.
#pragma once
#include "nn/module.hpp"
#include "nn/ops.hpp"

namespace sslkit::nn {

class Conv2d : public ModuleImpl<Conv2d> {
 public:
  Conv2d() = default;
  Conv2d(int64_t in, int64_t out, int64_t kernel, Rng& rng, int64_t stride = 1, int64_t padding = 0,
         bool bias = true, int64_t groups = 1);
  Var forward(const Var& x) const { return conv2d(x, weight, bias, params); }
  void visit(ModuleVisitor& v) override;
  Var weight, bias;
  ConvParams params;
};

class Linear : public ModuleImpl<Linear> {
 public:
  Linear() = default;
  Linear(int64_t in, int64_t out, Rng& rng, bool bias = true);
  Var forward(const Var& x) const { return linear(x, weight, bias); }
  void visit(ModuleVisitor& v) override;
  Var weight, bias;
};

// Over the last (channel) axis: BatchNorm2d on [N,H,W,C], BatchNorm1d on [N,C].
class BatchNorm : public ModuleImpl<BatchNorm> {
 public:
  BatchNorm() = default;
  explicit BatchNorm(int64_t channels, float momentum = 0.1f, float eps = 1e-5f);
  Var forward(const Var& x) { return batchnorm(x, weight, bias, running_mean, running_var, training_, momentum, eps); }
  Var forward_relu(const Var& x) {
    return batchnorm_relu(x, weight, bias, running_mean, running_var, training_, momentum, eps);
  }
  void visit(ModuleVisitor& v) override;
  Var weight, bias;
  Tensor running_mean, running_var;
  float momentum = 0.1f, eps = 1e-5f;
};

// Linear layers with BatchNorm (optional) and ReLU between them, none after
// the last: the projection and prediction heads of SimCLR, BYOL, SimSiam...
class MLP : public ModuleImpl<MLP> {
 public:
  MLP() = default;
  MLP(const std::vector<int64_t>& dims, Rng& rng, bool batchnorm = false, bool last_batchnorm = false);
  Var forward(const Var& x);
  void visit(ModuleVisitor& v) override;
  std::vector<Linear> layers;
  std::vector<BatchNorm> norms;
};

}  // namespace sslkit::nn
