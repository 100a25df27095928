#include "info/curves.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/error.hpp"
#include "core/log.hpp"
#include "io/picture.hpp"

namespace sslkit::info {

namespace {

constexpr int kW = 560, kH = 300, kLeft = 60, kRight = 20, kTop = 36, kBottom = 40;
const auto kFont = cv::FONT_HERSHEY_SIMPLEX;
const cv::Scalar kInk(40, 40, 40), kRefInk(120, 120, 120);

// One colour per run (BGR): the first is the single-run plot's blue, then
// matplotlib's tab10 order.
const cv::Scalar kColours[] = {{180, 90, 20},  {14, 127, 255},  {44, 160, 44},  {40, 39, 214},   {189, 103, 148},
                               {75, 86, 140},  {194, 119, 227}, {127, 127, 127}, {34, 189, 188}, {207, 190, 23}};

cv::Scalar colour(size_t run) { return kColours[run % (sizeof kColours / sizeof kColours[0])]; }

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

// OpenCV draws no dashes: 6 pixels on, 4 off, along the whole polyline.
void dashed(cv::Mat& p, const std::vector<cv::Point>& pts, const cv::Scalar& c) {
  double phase = 0;
  for (size_t i = 1; i < pts.size(); ++i) {
    const cv::Point2d a = pts[i - 1], b = pts[i];
    const double len = std::hypot(b.x - a.x, b.y - a.y);
    for (double t = 0; t < len;) {
      const bool on = phase < 6;
      const double step = std::min(len - t, on ? 6 - phase : 10 - phase);
      if (on) cv::line(p, a + (b - a) * (t / len), a + (b - a) * ((t + step) / len), c, 1, cv::LINE_AA);
      t += step;
      phase = std::fmod(phase + step, 10.0);
    }
  }
}

struct Line {
  const Series* series;
  cv::Scalar colour;
  bool dashed = false;
};

// One panel: each line's y against x in plot coordinates (points marked
// when `points`, which also starts the x axis at 0: seconds from the start
// of training, so runs and a lone first score line up), the references as
// labelled grey lines, the title, and the ranges written at the axes' ends.
cv::Mat panel(const std::vector<Line>& lines, const std::vector<Reference>& refs, const std::string& title,
              const std::string& xlabel, bool points) {
  cv::Mat p(kH, kW, CV_8UC3, cv::Scalar(255, 255, 255));
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const auto& l : lines) {
    x0 = std::min(x0, double(*std::min_element(l.series->x.begin(), l.series->x.end())));
    x1 = std::max(x1, double(*std::max_element(l.series->x.begin(), l.series->x.end())));
    y0 = std::min(y0, double(*std::min_element(l.series->y.begin(), l.series->y.end())));
    y1 = std::max(y1, double(*std::max_element(l.series->y.begin(), l.series->y.end())));
  }
  for (const auto& r : refs) y0 = std::min(y0, r.accuracy), y1 = std::max(y1, r.accuracy);
  if (points) x0 = std::min(x0, 0.0);
  x1 = std::max(x1, x0 + 1e-9);
  if (y1 - y0 < 1e-9) y0 -= 0.5, y1 += 0.5;
  // References are often the best or worst figure: keep them off the frame.
  if (!refs.empty()) {
    const double m = 0.05 * (y1 - y0);
    y0 -= m, y1 += m;
  }
  const int pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  auto at = [&](double xv, double yv) {
    return cv::Point(kLeft + static_cast<int>((xv - x0) / (x1 - x0) * pw), kTop + ph - static_cast<int>((yv - y0) / (y1 - y0) * ph));
  };
  cv::rectangle(p, cv::Point(kLeft, kTop), cv::Point(kLeft + pw, kTop + ph), cv::Scalar(160, 160, 160));
  // Each label above its line, from the top down; labels of lines closer
  // than a text line are pushed down one under the other.
  std::vector<Reference> sorted = refs;
  std::sort(sorted.begin(), sorted.end(), [](const Reference& a, const Reference& b) { return a.accuracy > b.accuracy; });
  // Each label on a white patch over the lines, so none is struck through.
  for (const auto& r : sorted) dashed(p, {at(x0, r.accuracy), at(x1, r.accuracy)}, kRefInk);
  int last_y = kTop;
  for (const auto& r : sorted) {
    const std::string text = r.label + " " + fmt(r.accuracy);
    const int y = std::max(at(x0, r.accuracy).y - 4, last_y + 13);
    int base = 0;
    const cv::Size z = cv::getTextSize(text, kFont, 0.4, 1, &base);
    cv::rectangle(p, cv::Rect(kLeft + 2, y - z.height - 1, z.width + 4, z.height + 3), cv::Scalar(255, 255, 255), cv::FILLED);
    cv::putText(p, text, {kLeft + 4, y}, kFont, 0.4, kRefInk, 1, cv::LINE_AA);
    last_y = y;
  }
  for (const auto& l : lines) {
    std::vector<cv::Point> pts;
    for (size_t i = 0; i < l.series->x.size() && i < l.series->y.size(); ++i) pts.push_back(at(l.series->x[i], l.series->y[i]));
    if (l.dashed)
      dashed(p, pts, l.colour);
    else
      cv::polylines(p, pts, false, l.colour, 1, cv::LINE_AA);
    if (points)
      for (const auto& q : pts)
        l.dashed ? cv::circle(p, q, 3, l.colour, 1, cv::LINE_AA) : cv::circle(p, q, 3, l.colour, cv::FILLED, cv::LINE_AA);
  }
  cv::putText(p, title, cv::Point(kLeft, 24), kFont, title.size() > 44 ? 0.45 : 0.55, kInk, 1, cv::LINE_AA);
  cv::putText(p, fmt(y1), cv::Point(4, kTop + 10), kFont, 0.4, kInk, 1, cv::LINE_AA);
  cv::putText(p, fmt(y0), cv::Point(4, kTop + ph), kFont, 0.4, kInk, 1, cv::LINE_AA);
  cv::putText(p, fmt(x0), cv::Point(kLeft, kTop + ph + 16), kFont, 0.4, kInk, 1, cv::LINE_AA);
  cv::putText(p, fmt(x1), cv::Point(kLeft + pw - 40, kTop + ph + 16), kFont, 0.4, kInk, 1, cv::LINE_AA);
  cv::putText(p, xlabel, cv::Point(kLeft + pw / 2 - 30, kTop + ph + 32), kFont, 0.45, kInk, 1, cv::LINE_AA);
  return p;
}

// The runs' names with their colours, in the panel's top-right corner.
void legend(cv::Mat& p, const std::vector<RunCurves>& runs) {
  int w = 0, base = 0;
  for (const auto& r : runs) w = std::max(w, cv::getTextSize(r.name, kFont, 0.4, 1, &base).width);
  const int row = 15, x = kW - kRight - w - 34, y = kTop + 4;
  cv::rectangle(p, cv::Rect(x - 4, y, w + 36, static_cast<int>(runs.size()) * row + 6), cv::Scalar(255, 255, 255), cv::FILLED);
  cv::rectangle(p, cv::Rect(x - 4, y, w + 36, static_cast<int>(runs.size()) * row + 6), cv::Scalar(200, 200, 200), 1);
  for (size_t i = 0; i < runs.size(); ++i) {
    const int yy = y + 4 + static_cast<int>(i) * row + row / 2;
    cv::line(p, {x, yy}, {x + 22, yy}, colour(i), 2, cv::LINE_AA);
    cv::putText(p, runs[i].name, {x + 28, yy + 4}, kFont, 0.4, kInk, 1, cv::LINE_AA);
  }
}

}  // namespace

Reference parse_reference(const std::string& text) {
  const auto eq = text.rfind('=');
  const std::string usage =
      "--reference wants LABEL=ACCURACY with the accuracy in [0, 1], e.g. \"kNN raw pixels=0.789\"; got \"" + text + "\"";
  if (eq == std::string::npos || eq == 0) throw UsageError(usage);
  const std::string value = text.substr(eq + 1);
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(v >= 0 && v <= 1)) throw UsageError(usage);
  return {text.substr(0, eq), v};
}

void write_training_curves(const std::vector<RunCurves>& runs, const std::vector<Reference>& references,
                           const std::string& png_path) {
  std::vector<Line> loss, knn;
  bool knn20 = false;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].loss.empty()) throw Error(runs[i].source, "the run has no training loss to draw");
    loss.push_back({&runs[i].loss, colour(i)});
    if (!runs[i].knn.empty()) knn.push_back({&runs[i].knn, colour(i)});
    if (!runs[i].knn20.empty()) knn.push_back({&runs[i].knn20, colour(i), /*dashed=*/true}), knn20 = true;
  }
  std::vector<cv::Mat> panels{panel(loss, {}, "training loss", "step", false)};
  if (runs.size() > 1) legend(panels[0], runs);
  if (!knn.empty())
    panels.push_back(panel(knn, references,
                           knn20 ? "--monitor kNN accuracy: k=200 T=0.1, dashed k=20 T=0.07"
                                 : "kNN accuracy (k=200, T=0.1), --monitor",
                           "seconds", true));
  else if (!references.empty())
    warn("no run has --monitor kNN accuracies: the --reference lines are not drawn");
  cv::Mat out;
  cv::hconcat(panels, out);
  io::save_png(out, png_path);
}

}  // namespace sslkit::info
