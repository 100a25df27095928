// The one oneDNN CPU engine and stream, the precision policy, and a cache of
// primitives per shape (oneDNN 2.6 caches primitives but not primitive
// descriptors; creating a bf16 brgconv pd costs milliseconds).
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "nn/tensor.hpp"

namespace sslkit::nn {

dnnl::engine& engine();
dnnl::stream& stream();

// Call once at start, after the thread count is set: flushes denormals on
// every OpenMP worker (MXCSR is per thread) and creates engine and stream.
void init_engine();

// True when the CPU has AMX with bf16 (oneDNN's effective ISA).
bool cpu_has_amx_bf16();
// True when oneDNN 2.6 runs bf16 primitives here at all (AVX-512 or better;
// on AVX2-only CPUs it has no bf16 convolutions).
bool cpu_supports_bf16();
// oneDNN's name for the ISA in effect, for reports.
std::string cpu_isa_name();
// "f32", "bf16" or "auto" (bf16 with AMX, else f32: bf16 without AMX was
// measured slower than f32). "bf16" on a CPU without bf16 support is an error.
DType resolve_precision(const std::string& precision);

// A cache of anything built per shape: key -> shared object.
class PrimitiveCache {
 public:
  template <class T>
  T& get(const std::string& key, const std::function<T()>& make) {
    auto it = map_.find(key);
    if (it == map_.end()) it = map_.emplace(key, std::make_shared<Holder<T>>(make())).first;
    return static_cast<Holder<T>*>(it->second.get())->value;
  }
  size_t size() const { return map_.size(); }
  void clear() { map_.clear(); }

 private:
  struct Base {
    virtual ~Base() = default;
  };
  template <class T>
  struct Holder : Base {
    explicit Holder(T v) : value(std::move(v)) {}
    T value;
  };
  std::unordered_map<std::string, std::shared_ptr<Base>> map_;
};
PrimitiveCache& primitive_cache();

// Builds cache keys: key("conv", dims..., dtype) -> "conv|2,3|bf16".
std::string dims_key(const Shape& s);

// Runs `prim` with `args` on the stream and waits.
void run(const dnnl::primitive& prim, const std::unordered_map<int, dnnl::memory>& args);

// `t` in the layout `md` wants: the tensor's own memory when they match,
// else a reordered copy (the copy is returned; keep it alive while used).
dnnl::memory as_layout(const Tensor& t, const dnnl::memory::desc& md);
// `m` itself when it already has layout `md`, else a reordered copy.
dnnl::memory as_layout_mem(const dnnl::memory& m, const dnnl::memory::desc& md);
// Reorder (and convert) src into dst.
void copy_mem(const dnnl::memory& src, const dnnl::memory& dst);
// Reorders memory `src` into the canonical layout of a new tensor of `shape`.
Tensor from_layout(const dnnl::memory& src, const Shape& shape, DType dtype);

}  // namespace sslkit::nn
