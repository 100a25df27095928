// What every fuzz target shares: the input's bytes as a file (the readers
// under test open paths, as the tools do) in a private temp folder, removed
// again after each input.
#pragma once
#include <hdf5.h>
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
    // libhdf5 recycles its blocks through free lists of its own, where an
    // overrun stays inside memory ASan counts as allocated; with no free
    // lists every block is malloc's, and ASan sees an overrun where it
    // happens instead of as a corrupt pointer inputs later.
    static const bool no_free_lists = [] {
      H5set_free_list_limits(0, 0, 0, 0, 0, 0);
      return true;
    }();
    (void)no_free_lists;
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
