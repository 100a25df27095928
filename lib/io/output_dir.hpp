// An output that is a directory (ssl-export's): its files are written into a
// temp directory beside it and the directory appears whole at commit(), or
// not at all. The counterpart of OutputFile for outputs other libraries
// read as folders (from_pretrained directories).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace sslkit::io {

class OutputDir {
 public:
  // Usage error (naming `option` and the path) when `path` is stdout, a
  // file, a directory that is not empty (unless `replace`), in a folder that
  // does not exist, or, with `replace`, a directory holding one of `inputs`
  // or the current directory (replacing it would delete what it holds).
  OutputDir(const std::string& path, bool replace, const std::vector<std::string>& inputs = {},
            const std::string& option = "-o");
  ~OutputDir();  // without commit(): the temp directory is removed
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  void write(const std::string& name, const std::vector<uint8_t>& bytes);
  void write(const std::string& name, const std::string& text);
  // Where a file of the directory is written before commit().
  std::string temp_path(const std::string& name) const;
  const std::string& path() const { return path_; }
  // Moves the directory into place (replacing the old one when asked).
  void commit();

 private:
  void forget();  // the temp paths are no longer removed on a signal
  std::string path_, temp_;
  std::vector<std::string> files_;  // in the temp directory, removed on a signal
  bool replace_ = false, done_ = false;
};

}  // namespace sslkit::io
