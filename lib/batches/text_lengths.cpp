#include "batches/text_lengths.hpp"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "models/text_encoder.hpp"

namespace sslkit::batches {

void check_text_lengths(const io::DataReader& in, const methods::MethodParams& mp, int64_t width, int64_t batch) {
  if (mp.max_len > models::kMaxTextPositions)
    throw Error(in.name(), "imported with --max-len " + std::to_string(mp.max_len) + " (its rows: up to " +
                               std::to_string(width) + " tokens); the text encoders take at most " +
                               std::to_string(models::kMaxTextPositions) +
                               ": import it with a smaller --max-len (longer records are cut)");
  const models::TextEncoderShape s = models::text_encoder_shape(mp.arch);
  const double attention = 2.0 * s.depth * batch * s.heads * static_cast<double>(width) * width * sizeof(float);
  const double memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  if (memory > 0 && attention > memory) {
    char line[300];
    std::snprintf(line, sizeof line,
                  "rows of %lld tokens: a step of %lld of them through %s keeps %.1f GB of attention, more than the "
                  "%.1f GB of this machine; lower --batch or import with a smaller --max-len",
                  static_cast<long long>(width), static_cast<long long>(batch), mp.arch.c_str(), attention / 1e9,
                  memory / 1e9);
    throw Error(in.name(), line);
  }
}

}  // namespace sslkit::batches
