// Pictures the tools write for people to look at (previews, reconstructions,
// confusion plots): PNG through the same atomic output as data files, and
// rows of small images tiled on one canvas.
#pragma once
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "io/files.hpp"

namespace sslkit::io {

// Encodes a BGR (or gray) image as PNG and writes it atomically, with the
// run's other outputs unless `when` says now (pictures of a run in progress).
void save_png(const cv::Mat& image, const std::string& path, Commit when = Commit::with_run);

// Rows of same-sized 8-bit images (gray or RGB) on a dark canvas, scaled up
// (nearest) so the longer side is about `side` pixels; `titles`, if given,
// label the columns in a band above them. Returns BGR.
cv::Mat tile_rows(const std::vector<std::vector<cv::Mat>>& rows, int side = 64,
                  const std::vector<std::string>& titles = {});

}  // namespace sslkit::io
