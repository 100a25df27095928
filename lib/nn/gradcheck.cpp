#include "nn/gradcheck.hpp"

#include <cmath>

#include "core/rng.hpp"

namespace sslkit::nn {

Tensor random_tensor(const Shape& shape, uint64_t seed, float lo, float hi) {
  Rng rng(seed, 0x7e57);
  Tensor t(shape, DType::f32);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = static_cast<float>(rng.uniform(lo, hi));
  return t;
}

static double dot(const Tensor& y, const Tensor& r) {
  auto a = y.to_vector();
  auto b = r.to_vector();
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

GradCheck grad_check(const std::function<Var(const std::vector<Var>&)>& f, const std::vector<Tensor>& inputs,
                     double eps, std::vector<bool> check, uint64_t seed) {
  if (check.empty()) check.assign(inputs.size(), true);
  std::vector<Var> vars;
  for (size_t i = 0; i < inputs.size(); ++i) vars.emplace_back(inputs[i].clone(), check[i]);
  Var y = f(vars);
  Tensor r = random_tensor(y.shape(), seed + 99, -1, 1);
  y.backward(r.to(y.dtype()));

  GradCheck out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!check[i]) continue;
    Tensor analytic = vars[i].grad().defined() ? vars[i].grad().to(DType::f32) : Tensor::zeros(inputs[i].shape());
    for (int64_t k = 0; k < inputs[i].numel(); ++k) {
      NoGrad ng;
      std::vector<Var> plus, minus;
      for (size_t j = 0; j < inputs.size(); ++j) {
        Tensor a = inputs[j].clone(), b = inputs[j].clone();
        if (j == i) {
          a.f32()[k] += static_cast<float>(eps);
          b.f32()[k] -= static_cast<float>(eps);
        }
        plus.emplace_back(a, false);
        minus.emplace_back(b, false);
      }
      double numeric = (dot(f(plus).value(), r) - dot(f(minus).value(), r)) / (2 * eps);
      double a = analytic.f32()[k];
      double err = std::fabs(a - numeric) / std::max({1.0, std::fabs(a), std::fabs(numeric)});
      if (err > out.max_error) {
        out.max_error = err;
        out.worst = "input " + std::to_string(i) + " element " + std::to_string(k) + ": tape " + std::to_string(a) +
                    ", finite difference " + std::to_string(numeric);
      }
    }
  }
  return out;
}

}  // namespace sslkit::nn
