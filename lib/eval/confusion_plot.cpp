#include "eval/confusion_plot.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace sslkit::eval {

namespace {

const auto kFont = cv::FONT_HERSHEY_SIMPLEX;
const cv::Scalar kInk(40, 40, 40), kGrey(110, 110, 110), kWhite(255, 255, 255);

cv::Size text_size(const std::string& s, double scale) {
  int base = 0;
  cv::Size z = cv::getTextSize(s, kFont, scale, 1, &base);
  return {z.width, z.height + base};
}

// `s` written on a white strip turned a quarter to the left (reading
// upwards), its top-left corner at `at`; putText cannot rotate.
void put_upright(cv::Mat& img, const std::string& s, double scale, cv::Point at, const cv::Scalar& ink) {
  const cv::Size z = text_size(s, scale);
  cv::Mat strip(z.height + 2, z.width + 2, CV_8UC3, kWhite), turned;
  int base = 0;
  cv::getTextSize(s, kFont, scale, 1, &base);
  cv::putText(strip, s, {1, z.height - base + 1}, kFont, scale, ink, 1, cv::LINE_AA);
  cv::rotate(strip, turned, cv::ROTATE_90_COUNTERCLOCKWISE);
  const cv::Rect r(at.x, at.y, turned.cols, turned.rows);
  turned.copyTo(img(r & cv::Rect(0, 0, img.cols, img.rows)));
}

}  // namespace

std::string axis_label(const std::string& name, size_t max_chars) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x80) {
      out += c < 0x20 ? '?' : static_cast<char>(c);
    } else if ((c & 0xC0) != 0x80) {
      out += '?';  // the lead byte of a UTF-8 sequence; its continuation bytes add nothing
    }
  }
  if (out.size() > max_chars && max_chars > 2) out = out.substr(0, max_chars - 2) + "..";
  return out;
}

cv::Mat draw_confusion(const std::vector<std::vector<int64_t>>& confusion, const std::vector<std::string>& class_names,
                       const std::string& title) {
  const int K = static_cast<int>(confusion.size());
  // Ten classes get 56-pixel cells (a 560-pixel grid, names and two-digit
  // percentages legible); more classes share about the same width, down to
  // 14 pixels, where the percentages are left out and the colour speaks.
  const int cell = std::clamp(560 / std::max(1, K), 14, 56);
  const bool numbers = cell >= 24;
  const double label_scale = std::clamp(cell / 110.0, 0.32, 0.5), number_scale = std::clamp(cell / 110.0, 0.35, 0.5);
  // Names up to 20 characters ("T-shirt/top", "Ankle boot" whole); longer
  // ones are cut so the margins stay a fraction of the grid.
  std::vector<std::string> names(K);
  int name_w = 0;
  for (int c = 0; c < K; ++c) {
    names[c] = axis_label(c < static_cast<int>(class_names.size()) ? class_names[c] : std::to_string(c), 20);
    name_w = std::max(name_w, text_size(names[c], label_scale).width);
  }
  const std::string note = "cells: % of each true class's rows";
  const double title_scale = 0.6, axis_scale = 0.5, note_scale = 0.42;
  const cv::Size title_z = text_size(title, title_scale), axis_z = text_size("predicted", axis_scale),
                 note_z = text_size(note, note_scale);
  const int pad = 12, gap = 8;
  const int grid_x = pad + axis_z.height + gap + name_w + gap;  // "true", upright, then the row names
  const int grid_y = pad + title_z.height + 6 + note_z.height + 14;
  const int grid = K * cell;
  const int width = std::max({grid_x + grid + pad, pad + title_z.width + pad, pad + note_z.width + pad});
  const int height = grid_y + grid + gap + name_w + gap + axis_z.height + pad;
  cv::Mat img(height, width, CV_8UC3, kWhite);

  cv::putText(img, title, {pad, pad + title_z.height - 4}, kFont, title_scale, kInk, 1, cv::LINE_AA);
  cv::putText(img, note, {pad, pad + title_z.height + 6 + note_z.height - 3}, kFont, note_scale, kGrey, 1, cv::LINE_AA);

  for (int i = 0; i < K; ++i) {
    int64_t row = 0;
    for (auto v : confusion[i]) row += v;
    for (int j = 0; j < K; ++j) {
      const double f = row ? static_cast<double>(confusion[i][j]) / row : 0;
      const cv::Rect r(grid_x + j * cell, grid_y + i * cell, cell, cell);
      // White to orange with the share of the row.
      cv::rectangle(img, r, cv::Scalar(255 * (1 - f), 255 * (1 - f * 0.6), 255 * (1 - f * 0.2)), cv::FILLED);
      cv::rectangle(img, r, cv::Scalar(225, 225, 225), 1);
      if (!numbers) continue;
      const std::string s = std::to_string(static_cast<int>(std::lround(f * 100)));
      const cv::Size z = text_size(s, number_scale);
      cv::putText(img, s, {r.x + (cell - z.width) / 2, r.y + (cell + z.height) / 2 - 3}, kFont, number_scale,
                  f > 0.55 ? kWhite : kInk, 1, cv::LINE_AA);
    }
  }
  cv::rectangle(img, cv::Rect(grid_x, grid_y, grid, grid), kGrey, 1);

  // Row names right-aligned against the grid, column names upright under it
  // (so long names take height, not width), and the two axis titles.
  for (int c = 0; c < K; ++c) {
    const cv::Size z = text_size(names[c], label_scale);
    cv::putText(img, names[c], {grid_x - gap - z.width, grid_y + c * cell + (cell + z.height) / 2 - 3}, kFont,
                label_scale, kInk, 1, cv::LINE_AA);
    put_upright(img, names[c], label_scale, {grid_x + c * cell + (cell - z.height) / 2 - 1, grid_y + grid + gap}, kInk);
  }
  cv::putText(img, "predicted", {grid_x + (grid - axis_z.width) / 2, height - pad - 3}, kFont, axis_scale, kGrey, 1,
              cv::LINE_AA);
  const cv::Size true_z = text_size("true", axis_scale);
  put_upright(img, "true", axis_scale, {pad, grid_y + (grid - true_z.width) / 2}, kGrey);
  return img;
}

}  // namespace sslkit::eval
