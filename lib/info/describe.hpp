// ssl-info's logic: what an SSL-HDF5 data file or a model file holds, for a
// person (text) or a script (JSON).
#pragma once
#include <ostream>
#include <string>
#include <vector>

namespace sslkit::info {

struct InfoOptions {
  std::string input;
  bool json = false;
  std::string preview;      // PNG path for an image grid or waveforms; text is printed instead
  int preview_count = 0;    // samples in a data file's preview; 0: not given (64)
  bool verify = false;      // read every sample of every dataset (checks the data, not only the schema)
  std::vector<std::string> references;  // "LABEL=ACCURACY" lines on a curves preview's accuracy panel
};

// Prints the description of `opts.input` to `out` and writes the preview.
void run_info(const InfoOptions& opts, std::ostream& out);

// Training runs, each a model file or an ssl-pretrain --log-json log: their
// curves in one --preview PNG (a colour each), and what each log holds in a
// few lines.
void run_curves(const std::vector<std::string>& inputs, const InfoOptions& opts, std::ostream& out);

}  // namespace sslkit::info
