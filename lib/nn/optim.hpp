// Optimizers over f32 master weights with f32 gradients. State tensors sit
// beside the parameters (one per parameter and kind) and are exposed by name
// so checkpoints save and restore them exactly.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "nn/module.hpp"

namespace sslkit::nn {

// Parameters sharing a learning-rate multiplier and a weight decay.
struct ParamGroup {
  std::vector<Var*> params;
  double lr_scale = 1.0;
  double weight_decay = 0.0;
  bool exclude_from_lars = false;  // biases and norm parameters (SimCLR's LARS)
};

// Splits a module's parameters into {decayed, not decayed}: biases and 1-D
// parameters (norm scales and shifts) get no weight decay and no LARS
// adaptation, as SimCLR and most SSL recipes do.
std::vector<ParamGroup> decay_groups(Module& m, double weight_decay);

class Optimizer {
 public:
  explicit Optimizer(std::vector<ParamGroup> groups) : groups_(std::move(groups)) {}
  virtual ~Optimizer() = default;
  void set_lr(double lr) { lr_ = lr; }
  double lr() const { return lr_; }
  int64_t steps() const { return steps_; }
  void set_steps(int64_t s) { steps_ = s; }
  // One update of every parameter that has a gradient.
  virtual void step() = 0;
  // Named state tensors ("<kind>.<group>.<index>"), for checkpoints.
  virtual std::vector<std::pair<std::string, Tensor*>> state() = 0;
  void zero_grad();
  // What it trains (the trainer all-reduces their gradients across ranks).
  const std::vector<ParamGroup>& groups() const { return groups_; }

 protected:
  std::vector<ParamGroup> groups_;
  double lr_ = 1e-3;
  int64_t steps_ = 0;
};

// SGD with momentum (PyTorch semantics: buf = m buf + g; Nesterov uses
// g + m buf) and L2 weight decay added to the gradient.
class SGD : public Optimizer {
 public:
  SGD(std::vector<ParamGroup> groups, double lr, double momentum = 0.9, bool nesterov = false);
  void step() override;
  std::vector<std::pair<std::string, Tensor*>> state() override;

 private:
  double momentum_;
  bool nesterov_;
  std::vector<std::vector<Tensor>> buf_;
};

// LARS as SimCLR uses it: SGD with momentum where each (non-excluded)
// parameter's step is scaled by eta ||w|| / (||g + wd w||).
class LARS : public Optimizer {
 public:
  LARS(std::vector<ParamGroup> groups, double lr, double momentum = 0.9, double eta = 0.001);
  void step() override;
  std::vector<std::pair<std::string, Tensor*>> state() override;

 private:
  double momentum_, eta_;
  std::vector<std::vector<Tensor>> buf_;
};

// AdamW (decoupled weight decay, bias-corrected moments; PyTorch semantics).
class AdamW : public Optimizer {
 public:
  AdamW(std::vector<ParamGroup> groups, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8);
  void step() override;
  std::vector<std::pair<std::string, Tensor*>> state() override;

 private:
  double b1_, b2_, eps_;
  std::vector<std::vector<Tensor>> m_, v_;
};

// target = tau target + (1 - tau) online, parameter by parameter (buffers copied).
void ema_update(Module& target, Module& online, double tau);
// BYOL's schedule: tau rises from tau0 to 1 with a cosine over `total` steps.
double byol_tau(double fraction, double tau0 = 0.99);

}  // namespace sslkit::nn
