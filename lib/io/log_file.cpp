#include "io/log_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/dist.hpp"
#include "core/error.hpp"

namespace sslkit::io {

LogFile::LogFile(const std::string& path, LogStart start) : display_(display_name(path, true)) {
  // In a job of several ranks rank 0 alone writes the log.
  if (!dist::is_root()) return;
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    return;
  }
  struct stat st {};
  const bool exists = stat(path.c_str(), &st) == 0;
  regular_ = !exists || S_ISREG(st.st_mode);
  std::string open_path = path;
  int flags = O_WRONLY | O_APPEND | O_CLOEXEC;
  if (regular_ && start == LogStart::replace) {
    // Renamed into place at the first line (commit now: a log is not held
    // back to the end of the run, it is read while the run goes).
    pending_ = std::make_unique<OutputFile>(path, Commit::now);
    open_path = pending_->temp_path();
  } else if (regular_) {
    flags |= O_CREAT;
  }
  fd_ = open(open_path.c_str(), flags, 0666);
  if (fd_ < 0) throw Error(display_, std::string("cannot open: ") + std::strerror(errno));
  if (regular_) {
    const off_t end = lseek(fd_, 0, SEEK_END);
    good_ = end < 0 ? 0 : end;
  }
}

LogFile::~LogFile() {
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) close(fd_);
}

void LogFile::fail(int err) {
  // The part of the line that went in is cut off again: a reader never
  // sees half a line followed by the next run's (a resumed run appends).
  if (regular_) {
    const int cut = ftruncate(fd_, good_);
    (void)cut;  // the write's error is the one to report
  }
  errno = err;
  const std::string why = disk_error_text();
  throw Error(display_, "write failed" + (why.empty() ? ": " + std::string(std::strerror(err)) : ": " + why));
}

void LogFile::line(const std::string& text) {
  if (fd_ < 0) return;  // another rank than 0
  const std::string bytes = text + "\n";
  for (size_t off = 0; off < bytes.size();) {
    const ssize_t w = write(fd_, bytes.data() + off, bytes.size() - off);
    if (w < 0 && errno == EINTR) continue;  // Ctrl-C: the trainer stops after this step
    if (w <= 0) fail(w < 0 ? errno : ENOSPC);
    off += static_cast<size_t>(w);
  }
  good_ += static_cast<long long>(bytes.size());
  if (pending_) {
    // The first line is in: the new log replaces the old one whole.
    pending_->commit();
    pending_.reset();
  }
}

}  // namespace sslkit::io
