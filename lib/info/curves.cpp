#include "info/curves.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>

#include "core/error.hpp"
#include "io/picture.hpp"

namespace sslkit::info {

namespace {

constexpr int kW = 560, kH = 300, kLeft = 60, kRight = 20, kTop = 36, kBottom = 40;

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

// One panel: y against x as a polyline in plot coordinates, its title, and
// the ranges written at the axes' ends.
cv::Mat panel(const std::vector<float>& x, const std::vector<float>& y, const std::string& title,
              const std::string& xlabel, bool points) {
  cv::Mat p(kH, kW, CV_8UC3, cv::Scalar(255, 255, 255));
  const double x0 = *std::min_element(x.begin(), x.end()), x1 = std::max(x0 + 1e-9, double(*std::max_element(x.begin(), x.end())));
  double y0 = *std::min_element(y.begin(), y.end()), y1 = *std::max_element(y.begin(), y.end());
  if (y1 - y0 < 1e-9) y0 -= 0.5, y1 += 0.5;
  const int pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  auto at = [&](double xv, double yv) {
    return cv::Point(kLeft + static_cast<int>((xv - x0) / (x1 - x0) * pw), kTop + ph - static_cast<int>((yv - y0) / (y1 - y0) * ph));
  };
  cv::rectangle(p, cv::Point(kLeft, kTop), cv::Point(kLeft + pw, kTop + ph), cv::Scalar(160, 160, 160));
  std::vector<cv::Point> line;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) line.push_back(at(x[i], y[i]));
  cv::polylines(p, line, false, cv::Scalar(180, 90, 20), 1, cv::LINE_AA);
  if (points)
    for (const auto& q : line) cv::circle(p, q, 3, cv::Scalar(180, 90, 20), cv::FILLED, cv::LINE_AA);
  const auto font = cv::FONT_HERSHEY_SIMPLEX;
  const cv::Scalar ink(40, 40, 40);
  cv::putText(p, title, cv::Point(kLeft, 24), font, 0.55, ink, 1, cv::LINE_AA);
  cv::putText(p, fmt(y1), cv::Point(4, kTop + 10), font, 0.4, ink, 1, cv::LINE_AA);
  cv::putText(p, fmt(y0), cv::Point(4, kTop + ph), font, 0.4, ink, 1, cv::LINE_AA);
  cv::putText(p, fmt(x0), cv::Point(kLeft, kTop + ph + 16), font, 0.4, ink, 1, cv::LINE_AA);
  cv::putText(p, fmt(x1), cv::Point(kLeft + pw - 40, kTop + ph + 16), font, 0.4, ink, 1, cv::LINE_AA);
  cv::putText(p, xlabel, cv::Point(kLeft + pw / 2 - 30, kTop + ph + 32), font, 0.45, ink, 1, cv::LINE_AA);
  return p;
}

}  // namespace

void write_training_curves(const io::ModelReader& m, const std::string& png_path) {
  const std::vector<float> loss = m.series("loss");
  if (loss.empty()) throw Error(png_path, "the model has no training loss to draw");
  std::vector<float> steps(loss.size());
  for (size_t i = 0; i < steps.size(); ++i) steps[i] = static_cast<float>(i + 1);
  std::vector<cv::Mat> panels{panel(steps, loss, "training loss", "step", false)};
  const std::vector<float> knn = m.series("monitor_knn"), secs = m.series("monitor_seconds");
  if (!knn.empty() && knn.size() == secs.size())
    panels.push_back(panel(secs, knn, "kNN accuracy (k=200, T=0.1), --monitor", "seconds", true));
  cv::Mat out;
  cv::hconcat(panels, out);
  io::save_png(out, png_path);
}

}  // namespace sslkit::info
