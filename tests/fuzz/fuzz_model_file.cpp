// A model file (ssl-pretrain's output, or one imported from elsewhere) on
// any bytes: read its config, build the model it describes and load every
// tensor into it, as ssl-embed and ssl-finetune do.
#include <exception>

#include "fuzz_input.hpp"
#include "train/trained_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sslkit::fuzz::InputFile in(data, size, ".h5");
  try {
    (void)sslkit::train::load_trained_model(in.path());
  } catch (const std::exception&) {
  }
  return 0;
}
