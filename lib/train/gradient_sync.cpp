#include "train/gradient_sync.hpp"

#include <algorithm>

#include "core/dist.hpp"
#include "core/error.hpp"

namespace sslkit::train {

double loss_terms(const methods::Batch& b) {
  const auto& t = b.tokens;
  if (t.rows > 0) {
    const auto masked = std::count_if(t.labels.begin(), t.labels.end(), [](int32_t y) { return y != -100; });
    return masked > 0 ? static_cast<double>(masked) : static_cast<double>(t.rows);
  }
  const auto& a = b.audio;
  if (a.rows > 0) {
    const auto masked = std::count_if(a.mask.begin(), a.mask.end(), [](uint8_t m) { return m != 0; });
    return masked > 0 ? static_cast<double>(masked) : static_cast<double>(a.rows);
  }
  return b.views.empty() ? 1.0 : static_cast<double>(b.views.front().shape()[0]);
}

GradientSync::GradientSync(std::vector<nn::Var*> params, size_t bucket_floats)
    : params_(std::move(params)), bucket_floats_(std::max<size_t>(bucket_floats, 1)) {}

size_t GradientSync::bytes() const {
  size_t n = params_.size();  // one flag each
  for (const auto* p : params_) n += static_cast<size_t>(p->value().numel());
  return n * sizeof(float);
}

void GradientSync::all_reduce(double scale) {
  if (dist::size() == 1 && scale == 1.0) return;
  // Parameters are packed in order into buckets of about bucket_floats_;
  // each bucket ends with one flag per parameter in it (1: this rank has its
  // gradient), summed with the gradients.
  size_t first = 0;
  while (first < params_.size()) {
    size_t last = first, floats = 0;
    do floats += static_cast<size_t>(params_[last++]->value().numel());
    while (last < params_.size() && floats + static_cast<size_t>(params_[last]->value().numel()) <= bucket_floats_);
    const size_t count = last - first;
    buffer_.assign(floats + count, 0.f);
    size_t at = 0;
    for (size_t i = first; i < last; ++i) {
      nn::Var& p = *params_[i];
      const size_t n = static_cast<size_t>(p.value().numel());
      if (p.grad().defined()) {
        SSLKIT_CHECK(p.grad().dtype() == nn::DType::f32, "a parameter's gradient is not f32");
        const float* g = p.grad().f32();
        const float s = static_cast<float>(scale);
        for (size_t j = 0; j < n; ++j) buffer_[at + j] = g[j] * s;
        buffer_[floats + (i - first)] = 1.f;
      }
      at += n;
    }
    dist::allreduce_sum(buffer_.data(), buffer_.size());
    at = 0;
    for (size_t i = first; i < last; ++i) {
      nn::Var& p = *params_[i];
      const size_t n = static_cast<size_t>(p.value().numel());
      if (buffer_[floats + (i - first)] > 0) {
        // A new tensor: backward may have handed one buffer to several
        // gradients (an add's inputs), which must not change under another.
        nn::Tensor g(p.value().shape(), nn::DType::f32);
        std::copy_n(buffer_.begin() + at, n, g.f32());
        p.grad() = std::move(g);
      }
      at += n;
    }
    first = last;
  }
}

}  // namespace sslkit::train
