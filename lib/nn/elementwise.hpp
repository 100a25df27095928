// Element access for the plain C++ loops of ops that oneDNN does not cover:
// load/store convert bf16 on the fly so one loop serves both dtypes.
#pragma once
#include "nn/tensor.hpp"

namespace sslkit::nn {

inline float load(const Tensor& t, int64_t i) {
  return t.dtype() == DType::f32 ? static_cast<const float*>(t.raw())[i]
                                 : bf16_to_f32(static_cast<const uint16_t*>(t.raw())[i]);
}
inline void store(const Tensor& t, int64_t i, float v) {
  if (t.dtype() == DType::f32) static_cast<float*>(t.raw())[i] = v;
  else static_cast<uint16_t*>(t.raw())[i] = f32_to_bf16(v);
}

}  // namespace sslkit::nn
