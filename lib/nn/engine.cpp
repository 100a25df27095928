#include "nn/engine.hpp"

#include <malloc.h>

#include <omp.h>
#include <xmmintrin.h>
#include <pmmintrin.h>

#include <cstring>

#include "core/error.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

void init_engine() {
  // Tensors of a step are megabytes each and freed every step. glibc serves
  // them with mmap and returns them with munmap, so every step paid page
  // faults and page clearing again (15 % of a bf16 SimCLR step in the
  // kernel, by perf). Served from the heap and kept there, they are reused:
  // measured 1414 -> 1737 img/s for the bf16 convnet-s step on AMX. Peak
  // memory is what it was; the high-water mark stays allocated.
  static bool once = [] {
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
    return true;
  }();
  (void)once;
#pragma omp parallel
  {
    _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
    _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
  }
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
  (void)stream();
}

bool cpu_has_amx_bf16() {
  auto isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx512_core_amx;
}

bool cpu_supports_bf16() {
  using dnnl::cpu_isa;
  auto isa = dnnl::get_effective_cpu_isa();
  return isa == cpu_isa::avx512_core || isa == cpu_isa::avx512_core_vnni || isa == cpu_isa::avx512_core_bf16 ||
         isa == cpu_isa::avx512_core_amx;
}

std::string cpu_isa_name() {
  using dnnl::cpu_isa;
  switch (dnnl::get_effective_cpu_isa()) {
    case cpu_isa::sse41: return "sse41";
    case cpu_isa::avx: return "avx";
    case cpu_isa::avx2: return "avx2";
    case cpu_isa::avx2_vnni: return "avx2_vnni";
    case cpu_isa::avx512_core: return "avx512_core";
    case cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

DType resolve_precision(const std::string& precision) {
  if (precision == "f32") return DType::f32;
  if (precision == "bf16") {
    if (!cpu_supports_bf16())
      throw UsageError("--precision bf16 needs a CPU with AVX-512 (oneDNN 2.6 has no bf16 kernels for " +
                       cpu_isa_name() + "); use f32 or auto");
    return DType::bf16;
  }
  // bf16 where the CPU computes it natively (AVX512-BF16 dot products or
  // AMX tiles): measured 1.9x the f32 step on an AVX512-BF16 EPYC. On
  // plain AVX-512 oneDNN emulates bf16 and f32 is as fast; on AVX2 it has none.
  if (precision == "auto") {
    auto isa = dnnl::get_effective_cpu_isa();
    return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx ? DType::bf16 : DType::f32;
  }
  throw UsageError("--precision must be f32, bf16 or auto");
}

PrimitiveCache& primitive_cache() {
  static PrimitiveCache c;
  return c;
}

std::string dims_key(const Shape& s) {
  std::string k;
  for (auto d : s) k += std::to_string(d) + ",";
  return k;
}

void run(const dnnl::primitive& prim, const std::unordered_map<int, dnnl::memory>& args) {
  prim.execute(stream(), args);
  stream().wait();
}

dnnl::memory as_layout(const Tensor& t, const dnnl::memory::desc& md) {
  dnnl::memory own = t.mem();
  if (md == own.get_desc()) return own;
  OpTimer timer("reorder");
  dnnl::memory out(md, engine());
  dnnl::reorder(own, out).execute(stream(), own, out);
  stream().wait();
  return out;
}

dnnl::memory as_layout_mem(const dnnl::memory& m, const dnnl::memory::desc& md) {
  if (md == m.get_desc()) return m;
  dnnl::memory out(md, engine());
  copy_mem(m, out);
  return out;
}

void copy_mem(const dnnl::memory& src, const dnnl::memory& dst) {
  OpTimer t("reorder");
  dnnl::reorder(src, dst).execute(stream(), const_cast<dnnl::memory&>(src), const_cast<dnnl::memory&>(dst));
  stream().wait();
}

Tensor from_layout(const dnnl::memory& src, const Shape& shape, DType dtype) {
  Tensor out(shape, dtype);
  dnnl::memory dst = out.mem();
  if (src.get_desc() == dst.get_desc()) {
    std::memcpy(out.raw(), src.get_data_handle(), out.bytes());
  } else {
    dnnl::reorder(src, dst).execute(stream(), const_cast<dnnl::memory&>(src), dst);
    stream().wait();
  }
  return out;
}

}  // namespace sslkit::nn
