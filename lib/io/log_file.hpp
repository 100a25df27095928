// A log written a line at a time while a run goes (ssl-pretrain --log-json),
// readable at any moment: ssl-info draws a run that is still writing. Every
// write is checked, and a line that cannot be written whole is taken back,
// so the file only ever holds whole lines.
#pragma once
#include <memory>
#include <string>

#include "io/files.hpp"

namespace sslkit::io {

// What a run does with a log that already exists.
enum class LogStart {
  replace,  // a fresh run: the file becomes this run's lines only
  append,   // a resumed run: its lines go after the ones already there
};

class LogFile {
 public:
  // replace: the lines go to a temp file beside `path` that is renamed over
  // it once the first line is in it, so a reader sees the old log or the
  // new one, and a run that fails before its first line leaves the old log
  // as it was. "-" is stdout; a device or a FIFO is written into as it is.
  LogFile(const std::string& path, LogStart start);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // Writes `text` and a newline. A failed write (a full disk) takes back the
  // part written and throws an Error naming the file.
  void line(const std::string& text);
  const std::string& name() const { return display_; }

 private:
  [[noreturn]] void fail(int err);

  std::string display_;
  std::unique_ptr<OutputFile> pending_;  // replace: the temp file until its first line
  int fd_ = -1;
  bool regular_ = false;  // a regular file: a partial line can be cut off again
  long long good_ = 0;    // the file's size after its last whole line
};

}  // namespace sslkit::io
