// Paths as the tools see them: "-" for stdin/stdout, outputs that appear
// whole or not at all, and temp files that vanish even on Ctrl-C.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace sslkit::io {

// An input path ready to be opened by a library that needs a seekable file.
// "-" is stdin: opened in place when it is a regular file, else spooled to a
// temp file in $TMPDIR once per run (a model from "-" is opened more than
// once), removed by remove_input_spools() or a fatal signal. A named pipe
// (bash's <(command), mkfifo) is spooled the same way; other paths are
// opened as they are.
class InputFile {
 public:
  explicit InputFile(const std::string& path);

  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  const std::string& path() const { return open_path_; }   // what to open
  const std::string& name() const { return display_; }     // what to print

 private:
  std::string open_path_, display_;
};

// Removes the spools of piped inputs (end of a tool run).
void remove_input_spools();

// When an output's file appears at its destination.
enum class Commit {
  with_run,  // with every other output of the tool run, or not at all (the default)
  now,       // at commit() (checkpoints: they must survive a later failure)
};

// An output written to a temp file and moved to its destination by commit().
// A regular file (or a new path) gets a temp file beside it that is renamed
// into place, through symlinks to their target; anything else ("-" for
// stdout, /dev/stdout, a device, a FIFO) gets a temp file in $TMPDIR that is
// copied into it, never renamed over it. Without commit() (an error, a
// signal) the temp file is removed and the destination is untouched. While a
// tool run is open (begin_run), commit() only queues the finished file and
// finish_run() moves every output of the run into place together.
class OutputFile {
 public:
  explicit OutputFile(const std::string& path, Commit when = Commit::with_run);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  const std::string& temp_path() const { return temp_; }
  const std::string& name() const { return display_; }
  bool is_stdout() const { return stream_ && path_ == "-"; }
  void commit();
  void abandon();

 private:
  std::string path_, dest_, display_, temp_;
  Commit when_;
  bool stream_ = false, done_ = false;
};

// ---- The files of one tool run, checked in one place before any work.

// A file a run reads, with the option that named it ("input", "--monitor").
struct RunInput {
  std::string option;
  std::string path;          // empty: not given
  std::string rewritten_by;  // the one output option that may replace it in place ("-o" for --resume), or ""
};
struct RunOutput {
  std::string option;  // "-o", "--metrics", ...
  std::string path;    // empty: not given
  bool binary = true;  // binary data refuses a terminal
};
// The one check of a run's files, before any work. Usage error when an
// output names an input (by name, even one that does not exist yet, by
// symlink or by hard link) other than one it may rewrite, two outputs name
// the same file or both stdout, binary data would go to a terminal, or an
// output's folder does not exist. Remembers the inputs, so every OutputFile
// checks them again.
void check_run_files(const std::vector<RunInput>& inputs, const std::vector<RunOutput>& outputs);

// Opens a run: from now on OutputFile::commit() queues its file.
void begin_run();
// Moves every queued output into place: outputs streamed into devices,
// pipes or stdout first (they are the ones that can fail), then renames.
// On failure every output not yet in place is removed, and it throws.
void finish_run();
// Removes every queued output (the run failed).
void abandon_run();

// Text from errno for a failed write, e.g. "No space left on device"; empty
// when errno says nothing about the disk.
std::string disk_error_text();

// Writes `bytes` to `path` ("-" = stdout) through an OutputFile: whole or not at all.
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes, Commit when = Commit::with_run);

// The SHA-256 of a file's bytes as 64 lowercase hex digits (OpenSSL): what
// ties embeddings to the exact model file that made them.
std::string sha256_file(const std::string& path);

// Whether two paths name one file: by name (even when it does not exist),
// symlink or hard link. "-" is never the same as anything.
bool is_same_file(const std::string& a, const std::string& b);

// Usage error when `output` names the same file as one of `inputs` or of
// the declared inputs of the run (tools never overwrite their inputs).
void check_not_an_input(const std::string& output, const std::vector<std::string>& inputs = {});

// A temp file path in $TMPDIR (or /tmp), created empty and registered for
// removal on a fatal signal; remove it with remove_temp().
std::string make_temp(const std::string& stem);
void remove_temp(const std::string& path);

// A path a fatal signal removes (a file, or a directory once the files
// registered in it are gone: io::OutputDir's temp directory), until
// keep_on_signal(path).
void remove_on_signal(const std::string& path);
void keep_on_signal(const std::string& path);
// Removes every registered path now; async-signal-safe (for handlers that
// end the process, such as io::CpuDeadline's).
void remove_temps_now();

// Installs handlers for SIGINT, SIGTERM, SIGHUP and SIGPIPE that remove all
// registered temp files and then die of the same signal.
void install_cleanup_handlers();

// Long jobs (training) ask SIGINT/SIGTERM to set a flag instead of killing
// the process, so they can write a checkpoint first; temp files are still
// removed on a second signal.
void catch_interrupts();
// The signal that asked to stop (SIGINT or SIGTERM), 0 when none did.
int interrupt_requested();

// Human name of a path for messages: "-" becomes "stdin"/"stdout".
std::string display_name(const std::string& path, bool output = false);

}  // namespace sslkit::io
