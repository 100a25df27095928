// What every fuzz target shares: the input's bytes as a file (the readers
// under test open paths, as the tools do) in a private temp folder, removed
// again after each input.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace sslkit::fuzz {

class InputFile {
 public:
  InputFile(const uint8_t* data, size_t size, const char* suffix) {
    static const std::string dir = [] {
      const char* t = std::getenv("TMPDIR");
      std::string d = std::string(t && *t ? t : "/tmp") + "/sslkit-fuzz.XXXXXX";
      if (!mkdtemp(d.data())) std::abort();
      return d;
    }();
    path_ = dir + "/input" + suffix;
    FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) std::abort();
  }
  ~InputFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace sslkit::fuzz
