#include "core/log.hpp"

#include <cstdio>

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

}  // namespace sslkit
