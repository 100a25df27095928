// Helpers the nn unit tests share.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "nn/gradcheck.hpp"

namespace sslkit::nn::testing {

// Checks f's gradients against finite differences: worst error below tol.
inline void check_grad(const std::function<Var(const std::vector<Var>&)>& f, const std::vector<Tensor>& in,
                       double tol, double eps = 1e-2) {
  auto r = grad_check(f, in, eps);
  INFO(r.worst);
  CHECK(r.max_error < tol);
}

// Largest absolute difference between computed floats and a double reference.
inline double max_diff(const std::vector<float>& a, const std::vector<double>& b) {
  double e = 0;
  for (size_t i = 0; i < a.size(); ++i) e = std::max(e, std::fabs(a[i] - b[i]));
  return e;
}

// Checks that f's backward adds into gradients the inputs already hold
// (a second use of a Var, gradient accumulation over micro-batches) instead
// of overwriting them: every input's gradient preset to 0.5 must end as 0.5
// plus what a fresh backward gives.
inline void check_backward_adds(const std::function<Var(const std::vector<Var>&)>& f, const std::vector<Tensor>& in) {
  auto grads = [&](bool preset) {
    std::vector<Var> vars;
    for (const auto& t : in) vars.emplace_back(t.clone(), true);
    if (preset)
      for (auto& v : vars) v.grad() = Tensor::full(v.shape(), 0.5f, v.dtype());
    Var y = f(vars);
    y.backward(random_tensor(y.shape(), 4242).to(y.dtype()));
    std::vector<std::vector<float>> g;
    for (auto& v : vars)
      g.push_back(v.grad().defined() ? v.grad().to_vector() : std::vector<float>(v.value().numel(), 0.f));
    return g;
  };
  const auto fresh = grads(false), added = grads(true);
  for (size_t i = 0; i < in.size(); ++i)
    for (size_t k = 0; k < fresh[i].size(); ++k) {
      INFO("input " << i << " element " << k);
      CHECK(added[i][k] == doctest::Approx(fresh[i][k] + 0.5).epsilon(1e-5));
    }
}

}  // namespace sslkit::nn::testing
