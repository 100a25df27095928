#include "core/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace sslkit {

static ProgressMode g_mode = ProgressMode::off;

void Progress::configure(bool quiet, bool force) {
  if (quiet) g_mode = ProgressMode::off;
  else if (isatty(STDERR_FILENO)) g_mode = ProgressMode::terminal;
  else g_mode = force ? ProgressMode::lines : ProgressMode::off;
}

ProgressMode Progress::mode() { return g_mode; }

Progress::Progress(std::string label, size_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() {
  // A bar left half-drawn by an exception still needs its line ended.
  if (!finished_ && g_mode == ProgressMode::terminal && done_ > 0) std::fputc('\n', stderr);
}

void Progress::advance(size_t n) {
  done_ += n;
  if (g_mode == ProgressMode::off) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_draw_).count();
  double every = g_mode == ProgressMode::terminal ? 0.1 : 5.0;
  if (since >= every) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (g_mode != ProgressMode::off) draw(true);
}

static std::string format_duration(double s) {
  char buf[32];
  if (s < 0 || s > 1e7) return "--:--";
  int t = static_cast<int>(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%02d:%02d", t / 60, t % 60);
  return buf;
}

void Progress::draw(bool final) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? done_ / elapsed : 0;
  double eta = (rate > 0 && total_ > done_) ? (total_ - done_) / rate : 0;
  double frac = total_ ? static_cast<double>(done_) / total_ : 1.0;
  if (frac > 1) frac = 1;
  std::string tail = final ? "in " + format_duration(elapsed) : "ETA " + format_duration(eta);
  if (!note_.empty()) tail += "  " + note_;
  if (total_ == 0) {
    // Open-ended work (a time budget): count and rate only.
    std::fprintf(stderr, g_mode == ProgressMode::terminal ? "\r%s: %zu %s, %.1f/s, %s %s\033[K" : "%s: %zu %s, %.1f/s, %s %s\n",
                 label_.c_str(), done_, unit_.c_str(), rate, format_duration(elapsed).c_str(), note_.c_str());
    if (final && g_mode == ProgressMode::terminal) std::fputc('\n', stderr);
    std::fflush(stderr);
    return;
  }
  if (g_mode == ProgressMode::terminal) {
    const int width = 28;
    int fill = static_cast<int>(frac * width);
    std::string bar(fill, '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%s [%s] %3.0f%% %zu/%zu %.0f %s/s %s\033[K", label_.c_str(), bar.c_str(),
                 frac * 100, done_, total_, rate, unit_.c_str(), tail.c_str());
    if (final) std::fputc('\n', stderr);
  } else {
    std::fprintf(stderr, "%s: %zu/%zu (%.0f%%) %.0f %s/s %s\n", label_.c_str(), done_, total_, frac * 100,
                 rate, unit_.c_str(), tail.c_str());
  }
  std::fflush(stderr);
}

}  // namespace sslkit
