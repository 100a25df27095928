#include "core/log.hpp"

#include <cstdio>

#include "core/progress.hpp"

namespace sslkit {

static std::string g_tool = "sslkit";
static bool g_quiet = false;

void set_log_identity(const std::string& tool, bool quiet) {
  g_tool = tool;
  g_quiet = quiet;
}

const std::string& tool_name() { return g_tool; }

void warn(const std::string& message) {
  if (g_quiet) return;
  std::fflush(stdout);
  std::fprintf(stderr, "%s: warning: %s\n", g_tool.c_str(), message.c_str());
}

void note(const std::string& message) {
  // Notes go with progress: on a terminal, or with --progress.
  if (g_quiet || Progress::mode() == ProgressMode::off) return;
  std::fflush(stdout);
  std::fprintf(stderr, "%s: %s\n", g_tool.c_str(), message.c_str());
}

}  // namespace sslkit
