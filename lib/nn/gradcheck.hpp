// Finite-difference gradient checks for the tests: the tape's gradient of
// <r, f(inputs)> (r a fixed random tensor, so no symmetry hides an error)
// against central differences, element by element.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "nn/var.hpp"

namespace sslkit::nn {

struct GradCheck {
  double max_error = 0;  // max |analytic - numeric| / max(1, |analytic|, |numeric|)
  std::string worst;     // where it happened, for the failure message
};

// `f` must be deterministic. Inputs are f32; `check` says which get
// checked (all when empty).
GradCheck grad_check(const std::function<Var(const std::vector<Var>&)>& f, const std::vector<Tensor>& inputs,
                     double eps = 1e-2, std::vector<bool> check = {}, uint64_t seed = 1);

// Random f32 tensor, uniform in [lo, hi).
Tensor random_tensor(const Shape& shape, uint64_t seed, float lo = -1, float hi = 1);

}  // namespace sslkit::nn
