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
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "core/dist.hpp"
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
  // Past the slots a temp file would outlive a signal: refuse instead.
  throw Error(path, "too many temp files open at once (" + std::to_string(kSlots) + ")");
}

void unregister_temp(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_mutex);
  for (int i = 0; i < kSlots; ++i)
    if (g_slot_used[i] && path == g_temp_paths[i]) g_slot_used[i] = 0;
}

volatile sig_atomic_t g_interrupt = 0;

// Files first, then the directories they were in (rmdir removes only empty ones).
void remove_registered() {
  for (int i = 0; i < kSlots; ++i)
    if (g_slot_used[i]) unlink(g_temp_paths[i]);
  for (int i = 0; i < kSlots; ++i)
    if (g_slot_used[i]) rmdir(g_temp_paths[i]);
}

extern "C" void on_interrupt(int sig) {
  if (g_interrupt) {
    remove_registered();
    signal(sig, SIG_DFL);
    raise(sig);
  }
  g_interrupt = sig;
}

extern "C" void on_fatal_signal(int sig) {
  remove_registered();
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
  try {
    register_temp(out);
  } catch (...) {
    close(fd);
    unlink(out.c_str());
    throw;
  }
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
        if (errno == EINTR) {
          // A reader that stopped reading blocks us as a missing one would.
          if (int sig = interrupt_requested()) throw Interrupted(sig, out_name + ": interrupted while writing");
          continue;
        }
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

void remove_on_signal(const std::string& path) { register_temp(path); }
void remove_temps_now() { remove_registered(); }
void keep_on_signal(const std::string& path) { unregister_temp(path); }

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
  // A crash inside a library (SIGSEGV, SIGBUS) still removes the temp files.
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGBUS, SIGABRT}) sigaction(sig, &sa, nullptr);
  // A closed pipe downstream is a write error we report, not a silent death.
  signal(SIGPIPE, SIG_IGN);
}

void catch_interrupts() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM}) sigaction(sig, &sa, nullptr);
}

int interrupt_requested() { return g_interrupt; }

namespace {
// Inputs that can be read only once, from the start (a piped stdin, a FIFO
// such as bash's <(command)), each spooled once and kept for the run, by
// the path given ("-" for stdin): a model or data file is opened more than
// once (its config, then its weights), and HDF5 seeks.
std::map<std::string, std::string> g_spools;

// Copies `fd` (read to its end) into a new temp file, kept for the run.
std::string spool(int fd, const std::string& display, const char* stem) {
  std::string path;
  int out = make_temp_in(temp_dir(), stem, path);
  try {
    copy_fd(fd, out, display, path);
  } catch (...) {
    close(out);
    remove_temp(path);
    throw;
  }
  close(out);
  return path;
}

// Named pipes and sockets: what a path reads once. Devices are read in
// place (a tty is refused where it matters; /dev/zero would never end).
bool read_once(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}
}  // namespace

void remove_input_spools() {
  for (const auto& [given, path] : g_spools) remove_temp(path);
  g_spools.clear();
}

InputFile::InputFile(const std::string& path) : display_(display_name(path)) {
  if (auto it = g_spools.find(path); it != g_spools.end()) {
    open_path_ = it->second;
    return;
  }
  if (path != "-") {
    open_path_ = path;
    if (!read_once(path)) return;
    int fd;
    while ((fd = open(path.c_str(), O_RDONLY)) < 0 && errno == EINTR) {
      if (int sig = interrupt_requested()) throw Interrupted(sig, display_ + ": interrupted while waiting for a writer");
    }
    if (fd < 0) throw Error(display_, std::strerror(errno));
    try {
      open_path_ = g_spools[path] = spool(fd, display_, "sslkit-pipe");
    } catch (...) {
      close(fd);
      throw;
    }
    close(fd);
    return;
  }
  struct stat st {};
  if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode) && lseek(STDIN_FILENO, 0, SEEK_SET) == 0) {
    open_path_ = "/proc/self/fd/0";
    return;
  }
  if (isatty(STDIN_FILENO)) throw UsageError("input is '-' but stdin is a terminal");
  open_path_ = g_spools[path] = spool(STDIN_FILENO, display_, "sslkit-stdin");
}

namespace {

// Declared inputs of this run, and the outputs queued for finish_run().
std::vector<std::string> g_inputs;
struct Pending {
  std::string temp, dest, display;
  bool stream;
};
std::vector<Pending> g_pending;
bool g_run_open = false;

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// Devices, FIFOs, sockets and the /dev and /proc views of descriptors
// (/dev/stdout) are written into, never renamed over.
bool is_stream_destination(const std::string& path) {
  if (path == "-" || path.rfind("/dev/", 0) == 0 || path.rfind("/proc/", 0) == 0) return true;
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

// Copies a finished temp file into a stream destination and removes it.
void stream_into(const std::string& temp, const std::string& dest, const std::string& display) {
  int in = open(temp.c_str(), O_RDONLY);
  if (in < 0) throw Error(temp, std::strerror(errno));
  // Opening a FIFO blocks until a reader comes; a caught SIGINT or SIGTERM
  // ends the wait (EINTR) and the run stops as interrupted, like training.
  int out = STDOUT_FILENO;
  while (dest != "-" && (out = open(dest.c_str(), O_WRONLY | O_TRUNC)) < 0 && errno == EINTR) {
    if (int sig = interrupt_requested()) {
      close(in);
      throw Interrupted(sig, display + ": interrupted while waiting for a reader to open it");
    }
  }
  if (out < 0) {
    close(in);
    throw Error(display, std::strerror(errno));
  }
  try {
    copy_fd(in, out, temp, display);
  } catch (...) {
    close(in);
    if (out != STDOUT_FILENO) close(out);
    throw;
  }
  close(in);
  if (out != STDOUT_FILENO && close(out) != 0) throw Error(display, std::string("write failed: ") + std::strerror(errno));
  remove_temp(temp);
}

void rename_into(const std::string& temp, const std::string& dest) {
  // mkstemp makes 0600 files; give the output the usual umask-based mode.
  mode_t mask = umask(0);
  umask(mask);
  chmod(temp.c_str(), 0666 & ~mask);
  if (rename(temp.c_str(), dest.c_str()) != 0)
    throw Error(dest, std::string("cannot move output into place: ") + std::strerror(errno));
  unregister_temp(temp);
}

}  // namespace

std::string disk_error_text() {
  switch (errno) {
    case ENOSPC: case EDQUOT: case EFBIG: case EIO: case EROFS: case EPIPE: return std::strerror(errno);
    default: return "";
  }
}

namespace {

// The same path by its name, for files that need not exist yet.
bool same_name(const std::string& a, const std::string& b) {
  if (a == "-" || b == "-") return false;  // stdin and stdout are two streams
  std::error_code ec1, ec2;
  const auto pa = std::filesystem::absolute(a, ec1).lexically_normal();
  const auto pb = std::filesystem::absolute(b, ec2).lexically_normal();
  return !ec1 && !ec2 && pa == pb;
}

bool writes_stdout(const std::string& path) {
  return path == "-" || path == "/dev/stdout" || path == "/proc/self/fd/1" || path == "/dev/fd/1";
}

}  // namespace

bool is_same_file(const std::string& a, const std::string& b) {
  if (a == "-" || b == "-") return false;
  struct stat sa {}, sb {};
  return same_name(a, b) || (stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && same_file(sa, sb));
}

void check_run_files(const std::vector<RunInput>& inputs, const std::vector<RunOutput>& outputs) {
  g_inputs.clear();
  for (const auto& i : inputs)
    if (!i.path.empty() && i.rewritten_by.empty()) g_inputs.push_back(i.path);
  const RunInput* from_stdin = nullptr;
  for (const auto& i : inputs)
    if (i.path == "-" || i.path == "/dev/stdin") {
      if (from_stdin)
        throw UsageError("stdin given twice, as " + from_stdin->option + " and " + i.option + "; give one of them a file");
      from_stdin = &i;
    }
  std::vector<std::pair<const RunOutput*, struct stat>> seen;
  const RunOutput* to_stdout = nullptr;
  for (const auto& o : outputs) {
    if (o.path.empty()) continue;
    struct stat so {};
    const bool o_exists = o.path == "-" ? false : stat(o.path.c_str(), &so) == 0 && S_ISREG(so.st_mode);
    for (const auto& i : inputs) {
      if (i.path.empty() || i.rewritten_by == o.option) continue;
      struct stat si {};
      const bool same = same_name(o.path, i.path) ||
                        (o_exists && i.path != "-" && stat(i.path.c_str(), &si) == 0 && same_file(si, so));
      if (same)
        throw UsageError(o.path + ": output would overwrite input: " + o.option + " names the " +
                         (i.option.rfind("-", 0) == 0 ? i.option + " file" : "input file"));
    }
    if (writes_stdout(o.path)) {
      if (to_stdout)
        throw UsageError(to_stdout->option + " and " + o.option + " both write to stdout; give one of them a file");
      to_stdout = &o;
    }
    if (o.path == "-") {
      // Under mpirun a rank's stdout is mpirun's forwarding of it, a
      // terminal that rewrites newlines: no place for binary data.
      if (o.binary && dist::size() > 1)
        throw UsageError(o.option + " -: under mpirun standard output is mpirun's forwarded stream, not a place for "
                         "binary data; give a file");
      if (o.binary && isatty(STDOUT_FILENO))
        throw UsageError(o.option + " -: refusing to write binary data to a terminal; give a file or a pipe");
    } else {
      std::filesystem::path p(o.path);
      if (std::filesystem::is_directory(p)) throw UsageError(o.option + " " + o.path + ": is a directory");
      const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
      if (!std::filesystem::is_directory(dir)) throw UsageError(o.option + " " + o.path + ": no such folder " + dir);
    }
    struct stat st {};
    const bool exists = o.path == "-" ? fstat(STDOUT_FILENO, &st) == 0 : stat(o.path.c_str(), &st) == 0;
    for (const auto& [other, ost] : seen) {
      // Devices and pipes may take several outputs (--metrics /dev/null --plot /dev/null).
      const bool same = !is_stream_destination(o.path) &&
                        (o.path == other->path || (exists && same_file(st, ost) && S_ISREG(st.st_mode)));
      if (same) throw UsageError(o.path + ": given twice, as " + other->option + " and " + o.option);
    }
    if (!exists) st = {};
    seen.emplace_back(&o, st);
  }
}

void begin_run() {
  g_run_open = true;
  g_pending.clear();
}

void abandon_run() {
  for (auto& p : g_pending) remove_temp(p.temp);
  g_pending.clear();
  g_run_open = false;
}

void finish_run() {
  g_run_open = false;
  try {
    for (auto& p : g_pending)
      if (p.stream) {
        stream_into(p.temp, p.dest, p.display);
        p.temp.clear();
      }
    for (auto& p : g_pending)
      if (!p.stream) {
        rename_into(p.temp, p.dest);
        p.temp.clear();
      }
  } catch (...) {
    for (auto& p : g_pending)
      if (!p.temp.empty()) remove_temp(p.temp);
    g_pending.clear();
    throw;
  }
  g_pending.clear();
}

OutputFile::OutputFile(const std::string& path, Commit when)
    : path_(path), dest_(path), display_(display_name(path, true)), when_(when) {
  check_not_an_input(path);
  std::string dir, stem;
  stream_ = is_stream_destination(path);
  if (stream_) {
    if (path == "-" && isatty(STDOUT_FILENO))
      throw UsageError("refusing to write binary data to a terminal; use -o FILE or a pipe");
    dir = temp_dir();
    stem = "sslkit-stream";
  } else {
    std::filesystem::path p(path);
    if (std::filesystem::is_directory(p)) throw Error(path, "is a directory");
    // Through a symlink the file it points to is replaced, not the link.
    std::error_code ec;
    if (std::filesystem::is_symlink(p, ec)) {
      auto target = std::filesystem::canonical(p, ec);
      if (!ec) {
        dest_ = target.string();
        p = target;
      }
    }
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
  // In a job of several ranks every rank computes the same output; rank 0
  // alone puts it in place, the others' go nowhere.
  if (!dist::is_root()) {
    abandon();
    return;
  }
  done_ = true;
  if (g_run_open && when_ == Commit::with_run) {
    g_pending.push_back({temp_, dest_, display_, stream_});
    return;
  }
  try {
    if (stream_) stream_into(temp_, dest_, display_);
    else rename_into(temp_, dest_);
  } catch (...) {
    remove_temp(temp_);
    throw;
  }
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes, Commit when) {
  OutputFile out(path, when);
  FILE* f = std::fopen(out.temp_path().c_str(), "wb");
  if (!f) throw Error(path, std::string("cannot write: ") + std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0;
  std::string why = ok ? "" : disk_error_text();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    if (why.empty()) why = disk_error_text();
    throw Error(path, "write failed" + (why.empty() ? std::string() : ": " + why));
  }
  out.commit();
}

void check_not_an_input(const std::string& output, const std::vector<std::string>& inputs) {
  if (output == "-") return;
  struct stat so {};
  if (stat(output.c_str(), &so) != 0 || !S_ISREG(so.st_mode)) return;  // new, or a device/FIFO written into
  std::vector<std::string> all = g_inputs;
  all.insert(all.end(), inputs.begin(), inputs.end());
  for (const auto& in : all) {
    if (in.empty()) continue;
    struct stat si {};
    if (in == "-" ? fstat(STDIN_FILENO, &si) != 0 : stat(in.c_str(), &si) != 0) continue;
    if (same_file(si, so)) throw UsageError(output + ": output would overwrite input " + display_name(in));
  }
}

std::string sha256_file(const std::string& path) {
  InputFile in(path);
  FILE* f = std::fopen(in.path().c_str(), "rb");
  if (!f) throw Error(in.name(), std::string("cannot read: ") + std::strerror(errno));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<unsigned char> buf(1 << 20);
  size_t got;
  while ((got = std::fread(buf.data(), 1, buf.size(), f)) > 0) EVP_DigestUpdate(ctx.get(), buf.data(), got);
  const bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) throw Error(in.name(), "read failed");
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
