// Paths as the tools see them: "-" for stdin/stdout, outputs that appear
// whole or not at all, and temp files that vanish even on Ctrl-C.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace sslkit::io {

// An input path ready to be opened by a library that needs a seekable file.
// "-" is stdin: opened in place when it is a regular file, else spooled to a
// temp file in $TMPDIR that is removed when this object goes away.
class InputFile {
 public:
  explicit InputFile(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  const std::string& path() const { return open_path_; }   // what to open
  const std::string& name() const { return display_; }     // what to print
  // Call once the file is open: a spool can be unlinked right away.
  void opened();

 private:
  std::string open_path_, display_, spool_;
};

// An output written to a temp file beside its destination and renamed into
// place by commit(); "-" is written to a temp file in $TMPDIR and copied to
// stdout by commit(). Without commit() (an error, a signal) the temp file is
// removed and the destination is untouched.
class OutputFile {
 public:
  explicit OutputFile(const std::string& path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  const std::string& temp_path() const { return temp_; }
  const std::string& name() const { return display_; }
  bool is_stdout() const { return to_stdout_; }
  void commit();
  void abandon();

 private:
  std::string path_, display_, temp_;
  bool to_stdout_ = false, done_ = false;
};

// Writes `bytes` to `path` ("-" = stdout) through an OutputFile: whole or not at all.
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes);

// The SHA-256 of a file's bytes as 64 lowercase hex digits (OpenSSL): what
// ties embeddings to the exact model file that made them.
std::string sha256_file(const std::string& path);

// Usage error when `output` names the same file as one of `inputs`
// (tools never overwrite their inputs).
void check_not_an_input(const std::string& output, const std::vector<std::string>& inputs);

// A temp file path in $TMPDIR (or /tmp), created empty and registered for
// removal on a fatal signal; remove it with remove_temp().
std::string make_temp(const std::string& stem);
void remove_temp(const std::string& path);

// Installs handlers for SIGINT, SIGTERM, SIGHUP and SIGPIPE that remove all
// registered temp files and then die of the same signal.
void install_cleanup_handlers();

// Long jobs (training) ask SIGINT/SIGTERM to set a flag instead of killing
// the process, so they can write a checkpoint first; temp files are still
// removed on a second signal.
void catch_interrupts();
bool interrupt_requested();

// Human name of a path for messages: "-" becomes "stdin"/"stdout".
std::string display_name(const std::string& path, bool output = false);

}  // namespace sslkit::io
