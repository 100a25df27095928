#include "nn/tensor.hpp"

#include <cstdlib>
#include <cstring>

#include "core/error.hpp"
#include "nn/engine.hpp"

namespace sslkit::nn {

using tag = dnnl::memory::format_tag;

const char* dtype_name(DType t) { return t == DType::f32 ? "f32" : "bf16"; }

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

int64_t numel_of(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

dnnl::memory::data_type dnnl_type(DType t) {
  return t == DType::f32 ? dnnl::memory::data_type::f32 : dnnl::memory::data_type::bf16;
}

Tensor::Tensor(Shape shape, DType dtype) : shape_(std::move(shape)), dtype_(dtype) {
  size_t n = std::max<size_t>(64, (bytes() + 63) / 64 * 64);
  void* p = std::aligned_alloc(64, n);
  if (!p) throw std::bad_alloc();
  buf_ = std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t(shape, dtype);
  t.zero();
  return t;
}

Tensor Tensor::full(const Shape& shape, float value, DType dtype) {
  Tensor t(shape, dtype);
  t.fill(value);
  return t;
}

Tensor Tensor::from(const Shape& shape, const std::vector<float>& values, DType dtype) {
  if (static_cast<int64_t>(values.size()) != numel_of(shape))
    throw Error("", "Tensor::from: " + std::to_string(values.size()) + " values for shape " + shape_str(shape));
  Tensor t(shape, DType::f32);
  std::memcpy(t.raw(), values.data(), values.size() * 4);
  return t.to(dtype);
}

float* Tensor::f32() const {
  if (dtype_ != DType::f32) SSLKIT_FAIL(std::string("f32 access to a bf16 tensor"));
  return reinterpret_cast<float*>(buf_.get());
}

uint16_t* Tensor::bf16() const {
  if (dtype_ != DType::bf16) SSLKIT_FAIL(std::string("bf16 access to an f32 tensor"));
  return reinterpret_cast<uint16_t*>(buf_.get());
}

dnnl::memory::desc Tensor::desc_for(const Shape& shape, DType dtype) {
  dnnl::memory::dims dims(shape.begin(), shape.end());
  auto dt = dnnl_type(dtype);
  switch (shape.size()) {
    case 1: return {dims, dt, tag::a};
    case 2: return {dims, dt, tag::ab};
    case 3: return {dims, dt, tag::abc};
    case 4: return {dims, dt, tag::abcd};
    case 5: return {dims, dt, tag::abcde};
    default: SSLKIT_FAIL(std::string("unsupported rank ") + std::to_string(shape.size()));
  }
}

dnnl::memory::dims channels_first_dims(const Shape& s) {
  dnnl::memory::dims d{s[0], s.back()};
  for (size_t i = 1; i + 1 < s.size(); ++i) d.push_back(s[i]);
  return d;
}

dnnl::memory::desc channels_last_desc(const Shape& shape, DType dtype) {
  auto dt = dnnl_type(dtype);
  auto dims = channels_first_dims(shape);
  switch (shape.size()) {
    case 2: return {dims, dt, tag::nc};
    case 3: return {dims, dt, tag::nwc};
    case 4: return {dims, dt, tag::nhwc};
    default: SSLKIT_FAIL(std::string("no channels-last layout for rank ") + std::to_string(shape.size()));
  }
}

dnnl::memory::desc Tensor::desc() const { return desc_for(shape_, dtype_); }

dnnl::memory Tensor::mem() const { return dnnl::memory(desc(), engine(), raw()); }

std::vector<float> Tensor::to_vector() const {
  std::vector<float> v(numel());
  if (dtype_ == DType::f32) std::memcpy(v.data(), raw(), v.size() * 4);
  else
    for (size_t i = 0; i < v.size(); ++i) v[i] = bf16_to_f32(bf16()[i]);
  return v;
}

float Tensor::item() const {
  if (numel() != 1) SSLKIT_FAIL(std::string("item() of a tensor with ") + std::to_string(numel()) + " values");
  return dtype_ == DType::f32 ? f32()[0] : bf16_to_f32(bf16()[0]);
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == dtype_) return *this;
  Tensor out(shape_, dtype);
  const int64_t n = numel();
  if (dtype == DType::bf16) {
    const float* s = f32();
    uint16_t* d = out.bf16();
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(s[i]);
  } else {
    const uint16_t* s = bf16();
    float* d = out.f32();
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; ++i) d[i] = bf16_to_f32(s[i]);
  }
  return out;
}

Tensor Tensor::clone() const {
  Tensor out(shape_, dtype_);
  std::memcpy(out.raw(), raw(), bytes());
  return out;
}

Tensor Tensor::reshape(const Shape& shape) const {
  if (numel_of(shape) != numel())
    SSLKIT_FAIL(std::string("reshape ") + shape_str(shape_) + " to " + shape_str(shape));
  Tensor out = *this;
  out.shape_ = shape;
  return out;
}

void Tensor::fill(float v) {
  const int64_t n = numel();
  if (dtype_ == DType::f32) {
    float* d = f32();
    for (int64_t i = 0; i < n; ++i) d[i] = v;
  } else {
    uint16_t b = f32_to_bf16(v), *d = bf16();
    for (int64_t i = 0; i < n; ++i) d[i] = b;
  }
}

void Tensor::zero() { std::memset(raw(), 0, bytes()); }

void Tensor::add_(const Tensor& other) {
  if (other.numel() != numel())
    SSLKIT_FAIL(std::string("add_ ") + shape_str(other.shape_) + " into " + shape_str(shape_));
  const int64_t n = numel();
  if (dtype_ == DType::f32 && other.dtype_ == DType::f32) {
    float* d = f32();
    const float* s = other.f32();
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; ++i) d[i] += s[i];
  } else if (dtype_ == DType::f32) {
    float* d = f32();
    const uint16_t* s = other.bf16();
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; ++i) d[i] += bf16_to_f32(s[i]);
  } else if (other.dtype_ == DType::bf16) {
    uint16_t* d = bf16();
    const uint16_t* s = other.bf16();
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(bf16_to_f32(d[i]) + bf16_to_f32(s[i]));
  } else {
    uint16_t* d = bf16();
    const float* s = other.f32();
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(bf16_to_f32(d[i]) + s[i]);
  }
}

}  // namespace sslkit::nn
