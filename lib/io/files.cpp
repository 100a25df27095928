#include "io/files.hpp"

#include <openssl/evp.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "core/error.hpp"

namespace sslkit::io {

namespace {

// Temp files to remove on a fatal signal. Fixed slots of plain chars, so the
// signal handler only reads memory and calls unlink (async-signal-safe).
constexpr int kSlots = 64;
constexpr int kPathMax = 4096;
char g_temp_paths[kSlots][kPathMax];
volatile sig_atomic_t g_slot_used[kSlots];
std::mutex g_mutex;

void register_temp(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_mutex);
  for (int i = 0; i < kSlots; ++i)
    if (!g_slot_used[i]) {
      std::strncpy(g_temp_paths[i], path.c_str(), kPathMax - 1);
      g_slot_used[i] = 1;
      return;
    }
}

void unregister_temp(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_mutex);
  for (int i = 0; i < kSlots; ++i)
    if (g_slot_used[i] && path == g_temp_paths[i]) g_slot_used[i] = 0;
}

volatile sig_atomic_t g_interrupt = 0;

extern "C" void on_interrupt(int sig) {
  if (g_interrupt) {
    for (int i = 0; i < kSlots; ++i)
      if (g_slot_used[i]) unlink(g_temp_paths[i]);
    signal(sig, SIG_DFL);
    raise(sig);
  }
  g_interrupt = sig;
}

extern "C" void on_fatal_signal(int sig) {
  for (int i = 0; i < kSlots; ++i)
    if (g_slot_used[i]) unlink(g_temp_paths[i]);
  signal(sig, SIG_DFL);
  raise(sig);
}

std::string temp_dir() {
  const char* t = std::getenv("TMPDIR");
  return (t && *t) ? t : "/tmp";
}

int make_temp_in(const std::string& dir, const std::string& stem, std::string& out) {
  std::string tmpl = dir + "/" + stem + ".tmp-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  int fd = mkstemp(buf.data());
  if (fd < 0) throw Error(dir, std::string("cannot create a temp file: ") + std::strerror(errno));
  out = buf.data();
  register_temp(out);
  return fd;
}

void copy_fd(int in, int out, const std::string& in_name, const std::string& out_name) {
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(in_name, std::string("read failed: ") + std::strerror(errno));
    }
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf.data() + off, n - off);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw Error(out_name, std::string("write failed: ") + std::strerror(errno));
      }
      off += w;
    }
  }
}

}  // namespace

std::string display_name(const std::string& path, bool output) {
  if (path == "-") return output ? "stdout" : "stdin";
  return path;
}

std::string make_temp(const std::string& stem) {
  std::string path;
  close(make_temp_in(temp_dir(), stem, path));
  return path;
}

void remove_temp(const std::string& path) {
  unlink(path.c_str());
  unregister_temp(path);
}

void install_cleanup_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
  // A closed pipe downstream is a write error we report, not a silent death.
  signal(SIGPIPE, SIG_IGN);
}

void catch_interrupts() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM}) sigaction(sig, &sa, nullptr);
}

bool interrupt_requested() { return g_interrupt != 0; }

InputFile::InputFile(const std::string& path) : display_(display_name(path)) {
  if (path != "-") {
    open_path_ = path;
    return;
  }
  struct stat st {};
  if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode) && lseek(STDIN_FILENO, 0, SEEK_SET) == 0) {
    open_path_ = "/proc/self/fd/0";
    return;
  }
  if (isatty(STDIN_FILENO)) throw UsageError("input is '-' but stdin is a terminal");
  int fd = make_temp_in(temp_dir(), "sslkit-stdin", spool_);
  try {
    copy_fd(STDIN_FILENO, fd, display_, spool_);
  } catch (...) {
    close(fd);
    remove_temp(spool_);
    throw;
  }
  close(fd);
  open_path_ = spool_;
}

InputFile::~InputFile() { opened(); }

void InputFile::opened() {
  // The open handle keeps the data; the name can go now.
  if (!spool_.empty()) {
    remove_temp(spool_);
    spool_.clear();
  }
}

OutputFile::OutputFile(const std::string& path) : path_(path), display_(display_name(path, true)) {
  std::string dir, stem;
  if (path == "-") {
    if (isatty(STDOUT_FILENO))
      throw UsageError("refusing to write binary data to a terminal; use -o FILE or a pipe");
    to_stdout_ = true;
    dir = temp_dir();
    stem = "sslkit-stdout";
  } else {
    std::filesystem::path p(path);
    if (std::filesystem::is_directory(p)) throw Error(path, "is a directory");
    dir = p.has_parent_path() ? p.parent_path().string() : ".";
    stem = "." + p.filename().string();
  }
  close(make_temp_in(dir, stem, temp_));
}

OutputFile::~OutputFile() { abandon(); }

void OutputFile::abandon() {
  if (done_) return;
  done_ = true;
  remove_temp(temp_);
}

void OutputFile::commit() {
  if (done_) throw Error(display_, "output committed twice");
  if (to_stdout_) {
    int fd = open(temp_.c_str(), O_RDONLY);
    if (fd < 0) throw Error(temp_, std::strerror(errno));
    try {
      copy_fd(fd, STDOUT_FILENO, temp_, display_);
    } catch (...) {
      close(fd);
      throw;
    }
    close(fd);
    remove_temp(temp_);
  } else {
    // mkstemp makes 0600 files; give the output the usual umask-based mode.
    mode_t mask = umask(0);
    umask(mask);
    chmod(temp_.c_str(), 0666 & ~mask);
    if (rename(temp_.c_str(), path_.c_str()) != 0)
      throw Error(path_, std::string("cannot move output into place: ") + std::strerror(errno));
    unregister_temp(temp_);
  }
  done_ = true;
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  OutputFile out(path);
  FILE* f = std::fopen(out.temp_path().c_str(), "wb");
  if (!f) throw Error(path, std::string("cannot write: ") + std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) throw Error(path, "write failed");
  out.commit();
}

void check_not_an_input(const std::string& output, const std::vector<std::string>& inputs) {
  if (output == "-") return;
  struct stat so {};
  if (stat(output.c_str(), &so) != 0) return;  // does not exist yet
  for (const auto& in : inputs) {
    struct stat si {};
    if (in == "-" ? fstat(STDIN_FILENO, &si) != 0 : stat(in.c_str(), &si) != 0) continue;
    if (si.st_dev == so.st_dev && si.st_ino == so.st_ino)
      throw UsageError(output + ": output would overwrite input " + display_name(in));
  }
}

std::string sha256_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw Error(path, std::string("cannot read: ") + std::strerror(errno));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<unsigned char> buf(1 << 20);
  size_t got;
  while ((got = std::fread(buf.data(), 1, buf.size(), f)) > 0) EVP_DigestUpdate(ctx.get(), buf.data(), got);
  const bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) throw Error(path, "read failed");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

}  // namespace sslkit::io
