// Progress on long work. On a terminal: a bar redrawn in place with rate and
// ETA. When stderr is not a terminal and progress was asked for: a plain line
// every few seconds, so logs stay readable.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

namespace sslkit {

enum class ProgressMode { off, terminal, lines };

class Progress {
 public:
  // Decides the mode once per process: `quiet` silences, `force` shows plain
  // lines even when stderr is not a terminal.
  static void configure(bool quiet, bool force);
  static ProgressMode mode();

  Progress(std::string label, size_t total, std::string unit = "items");
  ~Progress();
  void advance(size_t n = 1);
  void set_note(std::string note) { note_ = std::move(note); }
  void finish();

 private:
  void draw(bool final);
  std::string label_, unit_, note_;
  size_t total_, done_ = 0;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace sslkit
