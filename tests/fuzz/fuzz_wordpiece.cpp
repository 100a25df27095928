// A WordPiece vocabulary (vocab.txt of a downloaded checkpoint) on any
// bytes, then text through it: the input's first line is the text, the
// rest the vocabulary.
#include <exception>
#include <string>

#include "data/wordpiece.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string all(reinterpret_cast<const char*>(data), size);
  const size_t nl = all.find('\n');
  const std::string text = nl == std::string::npos ? all : all.substr(0, nl);
  const std::string vocab = nl == std::string::npos ? std::string() : all.substr(nl + 1);
  try {
    sslkit::data::WordPiece wp(vocab, {}, "fuzz vocab.txt");
    (void)wp.encode(text);
  } catch (const std::exception&) {
  }
  return 0;
}
