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

}  // namespace sslkit::nn::testing
