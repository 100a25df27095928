#include "data/text_records.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace sslkit::data {

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool blank(std::string_view l) { return std::all_of(l.begin(), l.end(), is_space); }
}  // namespace

RecordSplitter::RecordSplitter(const std::string& mode, std::function<void(std::string&)> emit)
    : emit_(std::move(emit)) {
  if (mode == "line") mode_ = Mode::line;
  else if (mode == "percent") mode_ = Mode::percent;
  else if (mode == "paragraph") mode_ = Mode::paragraph;
  else throw UsageError("--records must be line, percent, paragraph or auto, not '" + mode + "'");
}

void RecordSplitter::end_record() {
  while (!cur_.empty() && is_space(cur_.back())) cur_.pop_back();
  if (!cur_.empty()) emit_(cur_);
  cur_.clear();
}

void RecordSplitter::line(std::string_view l) {
  if (mode_ == Mode::line) {
    cur_.assign(l);
    end_record();
    return;
  }
  if (l == "%" || (mode_ == Mode::paragraph && blank(l))) {
    end_record();
    return;
  }
  // Blank lines before a record's text carry nothing.
  if (cur_.empty() && blank(l)) return;
  if (!cur_.empty()) cur_ += '\n';
  cur_ += l;
}

void RecordSplitter::finish() { end_record(); }

}  // namespace sslkit::data
