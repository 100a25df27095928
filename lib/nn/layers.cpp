#include "nn/layers.hpp"

namespace sslkit::nn {

Conv2d::Conv2d(int64_t in, int64_t out, int64_t kernel, Rng& rng, int64_t stride, int64_t padding, bool has_bias,
               int64_t groups) {
  const int64_t fan_in = in / groups * kernel * kernel;
  weight = Var(init_uniform_fan_in({out, in / groups, kernel, kernel}, fan_in, rng), true);
  if (has_bias) bias = Var(init_uniform_fan_in({out}, fan_in, rng), true);
  params = ConvParams{{stride, stride}, {padding, padding}, {1, 1}, groups};
}

void Conv2d::visit(ModuleVisitor& v) {
  v.param("weight", weight);
  if (bias.defined()) v.param("bias", bias);
}

Linear::Linear(int64_t in, int64_t out, Rng& rng, bool has_bias) {
  weight = Var(init_uniform_fan_in({out, in}, in, rng), true);
  if (has_bias) bias = Var(init_uniform_fan_in({out}, in, rng), true);
}

void Linear::visit(ModuleVisitor& v) {
  v.param("weight", weight);
  if (bias.defined()) v.param("bias", bias);
}

BatchNorm::BatchNorm(int64_t c, float m, float e)
    : weight(Tensor::full({c}, 1.f), true), bias(Tensor::zeros({c}), true), running_mean(Tensor::zeros({c})),
      running_var(Tensor::full({c}, 1.f)), momentum(m), eps(e) {}

void BatchNorm::visit(ModuleVisitor& v) {
  v.param("weight", weight);
  v.param("bias", bias);
  v.buffer("running_mean", running_mean);
  v.buffer("running_var", running_var);
}

MLP::MLP(const std::vector<int64_t>& dims, Rng& rng, bool bn, bool last_bn) {
  for (size_t i = 0; i + 1 < dims.size(); ++i) {
    bool last = i + 2 == dims.size();
    bool norm = last ? last_bn : bn;
    // A linear followed by batchnorm needs no bias (the norm's shift covers it).
    layers.emplace_back(dims[i], dims[i + 1], rng, !norm);
    if (norm) norms.emplace_back(dims[i + 1]);
  }
}

Var MLP::forward(const Var& x) {
  Var h = x;
  size_t k = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    h = layers[i].forward(h);
    bool last = i + 1 == layers.size();
    if (!layers[i].bias.defined()) {
      h = norms[k++].forward(h);
    }
    if (!last) h = relu(h);
  }
  return h;
}

void MLP::visit(ModuleVisitor& v) {
  size_t k = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    v.module("layers." + std::to_string(i), layers[i]);
    if (!layers[i].bias.defined()) v.module("norms." + std::to_string(i), norms[k++]);
  }
}

}  // namespace sslkit::nn
