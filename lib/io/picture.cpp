#include "io/picture.hpp"

#include <algorithm>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "io/files.hpp"

namespace sslkit::io {

void save_png(const cv::Mat& image, const std::string& path, Commit when) {
  std::vector<uint8_t> bytes;
  if (!cv::imencode(".png", image, bytes)) throw Error(path, "cannot encode PNG");
  write_file_atomic(path, bytes, when);
}

cv::Mat tile_rows(const std::vector<std::vector<cv::Mat>>& rows, int side, const std::vector<std::string>& titles) {
  if (rows.empty() || rows[0].empty()) return cv::Mat(1, 1, CV_8UC3, cv::Scalar(40, 40, 40));
  const int h = rows[0][0].rows, w = rows[0][0].cols, s = std::max(1, side / std::max(h, w)), pad = 2;
  int cols = 0;
  for (const auto& r : rows) cols = std::max(cols, static_cast<int>(r.size()));
  const int band = titles.empty() ? 0 : 16;
  cv::Mat canvas(band + static_cast<int>(rows.size()) * (h * s + pad) + pad, cols * (w * s + pad) + pad, CV_8UC3,
                 cv::Scalar(40, 40, 40));
  for (size_t c = 0; c < titles.size() && static_cast<int>(c) < cols; ++c)
    cv::putText(canvas, titles[c], {pad + static_cast<int>(c) * (w * s + pad), 12}, cv::FONT_HERSHEY_SIMPLEX, 0.35,
                cv::Scalar(230, 230, 230));
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t c = 0; c < rows[r].size(); ++c) {
      cv::Mat bgr, big;
      const cv::Mat& m = rows[r][c];
      cv::cvtColor(m, bgr, m.channels() == 1 ? cv::COLOR_GRAY2BGR : cv::COLOR_RGB2BGR);
      cv::resize(bgr, big, cv::Size(w * s, h * s), 0, 0, cv::INTER_NEAREST);
      big.copyTo(canvas(cv::Rect(pad + static_cast<int>(c) * (w * s + pad), band + pad + static_cast<int>(r) * (h * s + pad),
                                 w * s, h * s)));
    }
  return canvas;
}

}  // namespace sslkit::io
