// The SSL-HDF5 reader and its schema checks on any bytes: open, validate,
// read the labels, ids, the first rows of every dataset and a text file's
// tokenizer. A thrown error is a refusal (expected); a crash, a sanitizer
// report or a hang is a finding.
#include <exception>

#include "data/tokenizer.hpp"
#include "fuzz_input.hpp"
#include "io/data_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sslkit::fuzz::InputFile in(data, size, ".h5");
  try {
    sslkit::io::DataReader r(in.path());
    (void)r.labels();
    (void)r.ids();
    for (const auto& d : r.datasets()) {
      size_t per_row = 1;
      for (size_t k = 1; k < d.shape.size(); ++k) per_row *= d.shape[k];
      if (d.shape.empty() || d.shape[0] == 0 || per_row > (1u << 22)) continue;
      const size_t rows = d.shape[0] < 2 ? d.shape[0] : 2;
      std::vector<uint8_t> buf(rows * per_row * 8);
      try {
        r.read(d.name, 0, rows, reinterpret_cast<float*>(buf.data()));
      } catch (const std::exception&) {
      }
      try {
        r.read(d.name, 0, rows, buf.data());
      } catch (const std::exception&) {
      }
    }
    if (r.modality() == sslkit::io::Modality::text) (void)sslkit::data::Tokenizer::read_from(r);
  } catch (const std::exception&) {
  }
  return 0;
}
