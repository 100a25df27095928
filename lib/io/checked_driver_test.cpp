#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "io/checked_driver.hpp"

using sslkit::io::global_heap_is_sound;

namespace {

void put(std::vector<unsigned char>& b, size_t at, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; ++i) b[at + i] = static_cast<unsigned char>(v >> (8 * i));
}

// A collection of `size` bytes (lengths of 8 bytes) holding one string object
// of `object` bytes as index 1, then free space (index 0) to the end.
std::vector<unsigned char> collection(size_t size, uint64_t object) {
  std::vector<unsigned char> b(size, 0);
  std::memcpy(b.data(), "GCOL\1\0\0\0", 8);
  put(b, 8, size, 8);
  put(b, 16, 1, 2);       // index 1
  put(b, 18, 1, 2);       // one reference
  put(b, 24, object, 8);  // its size
  const size_t free_at = 16 + 16 + (object + 7) / 8 * 8;
  if (free_at + 16 <= size) put(b, free_at + 8, size - free_at, 8);  // index 0: the rest
  return b;
}

}  // namespace

TEST_CASE("global heap check: a sound collection passes and so do reads that are not one") {
  const auto c = collection(4096, 5);
  CHECK(global_heap_is_sound(c.data(), c.size(), 8, 1 << 20));
  const std::vector<unsigned char> raw(4096, 7);  // raw data
  CHECK(global_heap_is_sound(raw.data(), raw.size(), 8, 1 << 20));
  // libhdf5's first 4 KiB of a larger collection: judged by its header only.
  auto big = collection(4096, 5);
  put(big, 8, 65536, 8);
  CHECK(global_heap_is_sound(big.data(), big.size(), 8, 1 << 20));
}

TEST_CASE("global heap check: the damage that made libhdf5 1.10.8 loop or copy out of bounds fails") {
  SUBCASE("free space of size 0 (libhdf5 steps in place forever)") {
    auto c = collection(4096, 5);
    put(c, 40 + 8, 0, 8);
    CHECK_FALSE(global_heap_is_sound(c.data(), c.size(), 8, 1 << 20));
  }
  SUBCASE("an object larger than its collection (libhdf5 copies past its buffer)") {
    auto c = collection(4096, 5);
    put(c, 24, uint64_t{1} << 40, 8);
    CHECK_FALSE(global_heap_is_sound(c.data(), c.size(), 8, 1 << 20));
  }
  SUBCASE("a collection larger than the file") {
    auto c = collection(4096, 5);
    CHECK_FALSE(global_heap_is_sound(c.data(), c.size(), 8, 2048));
  }
  SUBCASE("a collection smaller than its own header") {
    auto c = collection(4096, 5);
    put(c, 8, 8, 8);
    CHECK_FALSE(global_heap_is_sound(c.data(), c.size(), 8, 1 << 20));
  }
}
