// The augmentation recipe parser (--recipe "crop(0.2,1) flip(0.5) ...") on
// any text.
#include <exception>
#include <string>

#include "augment/recipe.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)sslkit::augment::make_recipe(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const std::exception&) {
  }
  return 0;
}
