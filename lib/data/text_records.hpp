// How a text file's lines become records (samples), one line at a time, so
// a file is split the same way whether it is read whole (labelled classes)
// or streamed (an unlabelled corpus).
//   line:      every non-blank line is a record;
//   percent:   a line holding only "%" ends a record (fortune files); blank
//              lines inside a record are kept (a fortune's stanzas);
//   paragraph: a blank line (or a "%" line) ends a record: prose, man pages
//              and dictionaries, whose lines are wrapped at ~70 columns, so
//              a line is a piece of a sentence and a paragraph a thought.
// Records lose trailing whitespace and leading blank lines; empty ones are
// dropped. The caller resolves "auto" before (percent when a line is "%").
#pragma once
#include <functional>
#include <string>
#include <string_view>

namespace sslkit::data {

class RecordSplitter {
 public:
  // `mode`: line, percent or paragraph; `emit` receives each record (it may
  // move from it).
  RecordSplitter(const std::string& mode, std::function<void(std::string&)> emit);
  // One line without its terminator (a CR before the LF already removed).
  void line(std::string_view l);
  // Ends the last record (the end of a file).
  void finish();
  // Bytes of the record being gathered, to refuse one that grows too long
  // before it is whole.
  size_t pending() const { return cur_.size(); }

 private:
  enum class Mode { line, percent, paragraph } mode_;
  std::function<void(std::string&)> emit_;
  std::string cur_;
  void end_record();
};

}  // namespace sslkit::data
