// A dense tensor for the engine: f32 or bf16, a shape, a 64-byte aligned
// buffer, always row-major. Channels come last everywhere: images are
// [N,H,W,C], sequences [N,T,C], features [N,C]. That is the layout bf16
// convolutions pick on AMX and the layout of SSL-HDF5 images, so no op and
// no loop ever needs a reorder of activations; conv, pooling and batchnorm
// describe the same buffer to oneDNN as nhwc/nwc (see channels_last_desc).
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sslkit::nn {

enum class DType { f32, bf16 };
using Shape = std::vector<int64_t>;

const char* dtype_name(DType t);
std::string shape_str(const Shape& s);
int64_t numel_of(const Shape& s);

// bf16 <-> f32, round to nearest even (what oneDNN's reorder does).
// Round to nearest even; a NaN stays NaN. Written as a select, not a branch,
// so loops over it vectorise (a bf16 gradient add ran at 1.3 G values/s).
inline uint16_t f32_to_bf16(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  const uint32_t quiet_nan = (u >> 16) | 0x40u;
  return static_cast<uint16_t>((u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
}
inline float bf16_to_f32(uint16_t b) {
  uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

class Tensor {
 public:
  Tensor() = default;
  Tensor(Shape shape, DType dtype);  // uninitialised
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32);
  static Tensor full(const Shape& shape, float value, DType dtype = DType::f32);
  // Values in memory order (NHWC for rank 4).
  static Tensor from(const Shape& shape, const std::vector<float>& values, DType dtype = DType::f32);

  bool defined() const { return static_cast<bool>(buf_); }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_[i < 0 ? i + rank() : i]; }
  int64_t numel() const { return numel_of(shape_); }
  DType dtype() const { return dtype_; }
  size_t bytes() const { return numel() * (dtype_ == DType::f32 ? 4 : 2); }

  void* raw() const { return buf_.get(); }
  float* f32() const;      // throws unless f32
  uint16_t* bf16() const;  // throws unless bf16

  // The plain row-major oneDNN view of this tensor.
  dnnl::memory::desc desc() const;
  dnnl::memory mem() const;
  static dnnl::memory::desc desc_for(const Shape& shape, DType dtype);

  // Values as f32 in memory order (a copy).
  std::vector<float> to_vector() const;
  float item() const;  // the single value of a 1-element tensor
  Tensor to(DType dtype) const;  // a converted copy (or *this when the same)
  Tensor clone() const;
  // True when no other Tensor (a reshape, another node's gradient, an op's
  // closure) shares this buffer, so writing into it is safe.
  bool sole_owner() const { return buf_.use_count() == 1; }
  // Same buffer, new shape of the same element count and memory order.
  Tensor reshape(const Shape& shape) const;
  void fill(float v);
  void zero();
  // this += other (same shape; other converted if its dtype differs).
  void add_(const Tensor& other);

 private:
  Shape shape_;
  DType dtype_ = DType::f32;
  std::shared_ptr<uint8_t> buf_;
};

dnnl::memory::data_type dnnl_type(DType t);

// oneDNN's view of a channels-last tensor: [N,H,W,C] as dims {N,C,H,W} with
// tag nhwc, [N,T,C] as {N,C,T} nwc, [N,C] as {N,C} nc.
dnnl::memory::desc channels_last_desc(const Shape& shape, DType dtype);
// The oneDNN dims of a channels-last shape ({N,C,spatial...}).
dnnl::memory::dims channels_first_dims(const Shape& shape);

}  // namespace sslkit::nn
