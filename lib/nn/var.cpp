#include "nn/var.hpp"

#include <unordered_set>

#include "core/error.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

static thread_local bool g_grad_enabled = true;

bool grad_enabled() { return g_grad_enabled; }
NoGrad::NoGrad() : prev_(g_grad_enabled) { g_grad_enabled = false; }
NoGrad::~NoGrad() { g_grad_enabled = prev_; }

Var::Var(Tensor value, bool requires_grad) : node_(std::make_shared<Node>()) {
  node_->value = std::move(value);
  node_->requires_grad = requires_grad;
}

const Tensor& Var::value() const { return node_->value; }
Tensor& Var::value() { return node_->value; }
const Tensor& Var::grad() const { return node_->grad; }
Tensor& Var::grad() { return node_->grad; }
bool Var::requires_grad() const { return node_ && node_->requires_grad; }

Var Var::detach() const { return Var(node_->value, false); }

void Var::zero_grad() { node_->grad = Tensor(); }

void Node::accumulate(const Tensor& g) {
  if (!requires_grad) return;
  if (!grad.defined()) {
    // Gradients take the dtype of the value: f32 for master weights, bf16 for
    // bf16 activations.
    grad = g.dtype() == value.dtype() ? g : g.to(value.dtype());
    if (grad.shape() != value.shape()) grad = grad.reshape(value.shape());
    return;
  }
  OpTimer t("grad.accumulate");
  // The first gradient may share a buffer with an op's output or another
  // node's gradient: copy before adding, once (then the buffer is ours).
  if (!grad.sole_owner()) grad = grad.clone();
  grad.add_(g);
}

Var make_result(Tensor value, std::vector<Var> inputs, std::function<void(Node&)> backward) {
  Var out(std::move(value), false);
  if (!g_grad_enabled) return out;
  bool any = false;
  for (auto& v : inputs) any = any || v.requires_grad();
  if (!any) return out;
  out.node_->requires_grad = true;
  for (auto& v : inputs) out.node_->inputs.push_back(v.ptr());
  out.node_->backward = std::move(backward);
  return out;
}

void Var::backward() const {
  if (value().numel() != 1) SSLKIT_FAIL(std::string("backward() without a gradient needs a scalar"));
  backward(Tensor::full(value().shape(), 1.0f, value().dtype()));
}

void Var::backward(const Tensor& grad_output) const {
  if (!requires_grad()) SSLKIT_FAIL(std::string("backward() through a graph that requires no gradient"));
  // Reverse topological order by iterative DFS.
  // `order` holds owning pointers: clearing a node's inputs below must not
  // free a node that is still to run.
  std::vector<NodePtr> order;
  std::unordered_set<Node*> seen;
  std::vector<std::pair<NodePtr, size_t>> stack{{node_, 0}};
  seen.insert(node_.get());
  while (!stack.empty()) {
    auto& [n, i] = stack.back();
    if (i < n->inputs.size()) {
      NodePtr c = n->inputs[i++];
      if (c->requires_grad && c->backward && !seen.count(c.get())) {
        seen.insert(c.get());
        stack.push_back({c, 0});
      }
    } else {
      order.push_back(n);
      stack.pop_back();
    }
  }
  node_->accumulate(grad_output);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* n = it->get();
    if (n->grad.defined() && n->backward) n->backward(*n);
    // Free the graph as we go: intermediate gradients and closures (which
    // hold saved activations) are not needed again.
    if (n != node_.get()) n->grad = Tensor();
    n->backward = nullptr;
    n->inputs.clear();
  }
  node_->backward = nullptr;
  node_->inputs.clear();
}

}  // namespace sslkit::nn
