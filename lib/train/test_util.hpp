// Helpers the train unit tests share.
#pragma once
#include <string>

#include "data/import.hpp"
#include "data/text_source.hpp"
#include "io/test_util.hpp"

namespace sslkit::testing {

// data/text/proverbs and weather (two classes) imported into dir/text.h5 at
// 24 tokens and a 200-piece vocabulary; returns the path.
inline std::string import_sample_text(const ScratchDir& dir) {
  data::TextImportOptions t;
  t.files = {std::string(SSLKIT_DATA_DIR) + "/text/proverbs", std::string(SSLKIT_DATA_DIR) + "/text/weather"};
  t.max_len = 24;
  t.vocab_size = 200;
  data::ImportOptions o;
  o.output = dir / "text.h5";
  data::TextSource src(t, o);
  data::run_import(src, o);
  return o.output;
}

}  // namespace sslkit::testing
