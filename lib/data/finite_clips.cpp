#include "data/finite_clips.hpp"

#include <cmath>

#include "core/error.hpp"

namespace sslkit::data {

void require_finite_clips(const std::string& file, const float* clips, size_t n, size_t t, size_t first_row) {
  for (size_t i = 0; i < n * t; ++i) {
    if (std::isfinite(clips[i])) continue;
    throw Error(file, "/audio row " + std::to_string(first_row + i / t) + " holds " +
                          (std::isnan(clips[i]) ? "NaN" : "an infinite value") + " at sample " + std::to_string(i % t) +
                          "; re-import the clips (ssl-import refuses them) or drop the row");
  }
}

}  // namespace sslkit::data
