// IDX (MNIST-format) files, gzipped or not, as ssl-import reads them: the
// whole-file reader and the image source's header checks and first rows.
#include <exception>

#include "data/idx_source.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sslkit::fuzz::InputFile in(data, size, ".idx");
  try {
    std::vector<uint32_t> dims;
    (void)sslkit::data::read_idx_file(in.path(), dims);
  } catch (const std::exception&) {
  }
  try {
    sslkit::data::IdxSource src(in.path());
    (void)src.size();
  } catch (const std::exception&) {
  }
  return 0;
}
