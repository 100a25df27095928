#include "models/pooling.hpp"

#include <algorithm>

#include "nn/ops.hpp"

namespace sslkit::models {

nn::Var sequence_mean(const nn::Var& h, const std::vector<int32_t>& lengths, int64_t length) {
  const int64_t rows = static_cast<int64_t>(lengths.size()), D = h.shape().back();
  nn::Tensor w = nn::Tensor::zeros({rows, 1, length});
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t len = std::clamp<int64_t>(lengths[r], 1, length);
    for (int64_t k = 0; k < len; ++k) w.f32()[r * length + k] = 1.0f / static_cast<float>(len);
  }
  return nn::reshape(nn::matmul(nn::Var(w.to(h.value().dtype())), nn::reshape(h, {rows, length, D})), {rows, D});
}

}  // namespace sslkit::models
