// The attention-specific step between the two batched matmuls: scaling the
// scores and masking padding keys in one pass (it replaced a scale op and
// an add of a [B*H, T, T] bias tensor, built per layer and step).
#include "core/error.hpp"
#include "nn/elementwise.hpp"
#include "nn/ops.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

namespace {

constexpr float kMasked = -1e9f;

// y = scale * x with masked columns set to `fill` (or zeroed when fill is
// 0, the backward), over rows of T columns; row r belongs to sequence
// r / rows_per_sequence.
template <class T, class Load, class Store>
void scale_mask(const T* x, T* y, int64_t rows, int64_t cols, int64_t rows_per_sequence, float scale,
                const uint8_t* mask, float fill, Load load, Store store) {
#pragma omp parallel for if (rows * cols > (1 << 15))
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* m = mask ? mask + (r / rows_per_sequence) * cols : nullptr;
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    for (int64_t c = 0; c < cols; ++c) yr[c] = store(m && m[c] ? fill : scale * load(xr[c]));
  }
}

void apply(const Tensor& x, Tensor& y, int64_t rows_per_sequence, float scale, const uint8_t* mask, float fill) {
  const int64_t cols = x.dim(-1), rows = x.numel() / cols;
  if (x.dtype() == DType::f32)
    scale_mask(x.f32(), y.f32(), rows, cols, rows_per_sequence, scale, mask, fill, [](float v) { return v; },
               [](float v) { return v; });
  else
    scale_mask(static_cast<const uint16_t*>(x.raw()), static_cast<uint16_t*>(y.raw()), rows, cols,
               rows_per_sequence, scale, mask, fill, [](uint16_t v) { return bf16_to_f32(v); },
               [](float v) { return f32_to_bf16(v); });
}

}  // namespace

Var scale_mask_keys(const Var& sv, float scale, const std::vector<uint8_t>& key_padding_mask) {
  OpTimer timer("scale_mask_keys.fwd");
  const Tensor& s = sv.value();
  if (s.rank() != 3 || s.dim(1) != s.dim(2))
    SSLKIT_FAIL(std::string("attention scores must be [B*H, T, T], not ") + shape_str(s.shape()));
  const int64_t BH = s.dim(0), T = s.dim(2);
  const int64_t mask_rows = static_cast<int64_t>(key_padding_mask.size()) / std::max<int64_t>(1, T);
  if (!key_padding_mask.empty() &&
      (static_cast<int64_t>(key_padding_mask.size()) != mask_rows * T || mask_rows < 1 || BH % mask_rows != 0))
    SSLKIT_FAIL(std::string("key padding mask of ") + std::to_string(key_padding_mask.size()) + " entries for scores " +
                shape_str(s.shape()));
  // Rows of the score matrix per sequence: H heads of T queries.
  const int64_t per_sequence = key_padding_mask.empty() ? BH * T : (BH / mask_rows) * T;
  const uint8_t* mask = key_padding_mask.empty() ? nullptr : key_padding_mask.data();
  Tensor y(s.shape(), s.dtype());
  apply(s, y, per_sequence, scale, mask, kMasked);
  return make_result(y, {sv}, [=, keep = key_padding_mask](Node& n) {
    OpTimer t("scale_mask_keys.bwd");
    const Tensor g = n.grad.dtype() == s.dtype() ? n.grad : n.grad.to(s.dtype());
    Tensor dx(s.shape(), s.dtype());
    apply(g, dx, per_sequence, scale, keep.empty() ? nullptr : keep.data(), 0.0f);
    n.inputs[0]->accumulate(dx);
  });
}

}  // namespace sslkit::nn
