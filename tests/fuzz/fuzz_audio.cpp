// Audio files (WAV, FLAC, ...) through the decoder ssl-import uses, on any
// bytes, capped at 10 s so a header that claims hours is read no further.
#include <exception>

#include "data/audio_source.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sslkit::fuzz::InputFile in(data, size, ".wav");
  try {
    (void)sslkit::data::decode_audio(in.path(), 10.0);
  } catch (const std::exception&) {
  }
  return 0;
}
