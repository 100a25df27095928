// The safetensors reader (Hugging Face checkpoints downloaded from the
// internet) on any bytes.
#include <exception>
#include <vector>

#include "io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)sslkit::io::parse_safetensors(std::vector<uint8_t>(data, data + size), "fuzz.safetensors");
  } catch (const std::exception&) {
  }
  return 0;
}
