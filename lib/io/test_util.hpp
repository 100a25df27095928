// Helpers for the unit tests: a scratch folder removed at scope exit.
#pragma once
#include <filesystem>
#include <string>

namespace sslkit::testing {

struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sslkit-test.XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

}  // namespace sslkit::testing
