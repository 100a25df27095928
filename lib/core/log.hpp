// Warnings and notes on stderr, in the tool's voice ("ssl-import: warning:
// ..."), silenced by --quiet.
#pragma once
#include <string>

namespace sslkit {

void set_log_identity(const std::string& tool, bool quiet);
const std::string& tool_name();
void warn(const std::string& message);
// "TOOL: MESSAGE" on stderr where progress is shown (a terminal, or
// --progress): what a long run decided or measured.
void note(const std::string& message);

}  // namespace sslkit
