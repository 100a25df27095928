// The define-by-run tape (Flashlight-style). A Var is a node: its value, its
// gradient, the Vars it was computed from and a backward closure that turns
// its gradient into its inputs' gradients. backward() runs the closures in
// reverse topological order and then drops the graph.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nn/tensor.hpp"

namespace sslkit::nn {

struct Node;
using NodePtr = std::shared_ptr<Node>;

class Var {
 public:
  Var() = default;
  // A leaf: a parameter (requires_grad) or an input (not).
  explicit Var(Tensor value, bool requires_grad = false);

  bool defined() const { return static_cast<bool>(node_); }
  const Tensor& value() const;
  Tensor& value();
  // The accumulated gradient; undefined until backward() reaches this Var.
  const Tensor& grad() const;
  Tensor& grad();
  bool requires_grad() const;
  const Shape& shape() const { return value().shape(); }
  DType dtype() const { return value().dtype(); }

  // The same value with no history: gradients stop here (stop-gradient).
  Var detach() const;
  // Runs the tape from this scalar (gradient 1) or with `grad_output`.
  void backward() const;
  void backward(const Tensor& grad_output) const;
  void zero_grad();

  Node* node() const { return node_.get(); }
  const NodePtr& ptr() const { return node_; }

 private:
  friend Var make_result(Tensor, std::vector<Var>, std::function<void(Node&)>);
  NodePtr node_;
};

struct Node {
  Tensor value;
  Tensor grad;
  bool requires_grad = false;
  std::vector<NodePtr> inputs;
  // Reads `grad` of this node and accumulates into the inputs' gradients.
  std::function<void(Node&)> backward;
  // Adds g into this node's gradient (taking g's buffer when it is the first).
  void accumulate(const Tensor& g);
};

// The result of an op: records inputs and backward only when grad mode is on
// and some input requires a gradient.
Var make_result(Tensor value, std::vector<Var> inputs, std::function<void(Node&)> backward);

// Grad mode: off inside a NoGrad scope (inference, EMA updates, eval).
bool grad_enabled();
class NoGrad {
 public:
  NoGrad();
  ~NoGrad();
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  bool prev_;
};

// Training mode for ops that behave differently (batchnorm, dropout) is a
// property of modules; ops take it as an argument.

}  // namespace sslkit::nn
