#include "augment/image_ops.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace sslkit::augment {

cv::Mat random_resized_crop(const cv::Mat& img, int out_h, int out_w, double scale_lo, double scale_hi,
                            double ratio_lo, double ratio_hi, Rng& rng, int interpolation, cv::Rect* chosen) {
  const int H = img.rows, W = img.cols;
  const double area = static_cast<double>(H) * W;
  const double lr0 = std::log(ratio_lo), lr1 = std::log(ratio_hi);
  cv::Rect r(-1, -1, 0, 0);
  for (int attempt = 0; attempt < 10; ++attempt) {
    double target = area * rng.uniform(scale_lo, scale_hi);
    double aspect = std::exp(rng.uniform(lr0, lr1));
    int w = static_cast<int>(std::lround(std::sqrt(target * aspect)));
    int h = static_cast<int>(std::lround(std::sqrt(target / aspect)));
    if (w > 0 && h > 0 && w <= W && h <= H) {
      int i = static_cast<int>(rng.below(H - h + 1));
      int j = static_cast<int>(rng.below(W - w + 1));
      r = cv::Rect(j, i, w, h);
      break;
    }
  }
  if (r.width == 0) {
    // Fallback: the largest center crop whose ratio lies in the range.
    double in_ratio = static_cast<double>(W) / H;
    int w = W, h = H;
    if (in_ratio < ratio_lo) h = static_cast<int>(std::lround(w / ratio_lo));
    else if (in_ratio > ratio_hi) w = static_cast<int>(std::lround(h * ratio_hi));
    r = cv::Rect((W - w) / 2, (H - h) / 2, w, h);
  }
  if (chosen) *chosen = r;
  cv::Mat out;
  cv::resize(img(r), out, cv::Size(out_w, out_h), 0, 0, interpolation);
  return out;
}

cv::Mat hflip(const cv::Mat& img) {
  cv::Mat out;
  cv::flip(img, out, 1);
  return out;
}

cv::Mat rotate90(const cv::Mat& img, int k) {
  k = ((k % 4) + 4) % 4;
  if (k == 0) return img.clone();
  cv::Mat out;
  cv::rotate(img, out, k == 1 ? cv::ROTATE_90_COUNTERCLOCKWISE : k == 2 ? cv::ROTATE_180 : cv::ROTATE_90_CLOCKWISE);
  return out;
}

JitterFactors draw_jitter(double b, double c, double s, double h, Rng& rng) {
  JitterFactors f;
  // torchvision draws the order first, then each factor as it is applied.
  for (int i = 3; i > 0; --i) std::swap(f.order[i], f.order[rng.below(i + 1)]);
  for (int k : f.order) {
    switch (k) {
      case 0: if (b > 0) f.brightness = rng.uniform(std::max(0.0, 1 - b), 1 + b); break;
      case 1: if (c > 0) f.contrast = rng.uniform(std::max(0.0, 1 - c), 1 + c); break;
      case 2: if (s > 0) f.saturation = rng.uniform(std::max(0.0, 1 - s), 1 + s); break;
      case 3: if (h > 0) f.hue = rng.uniform(-h, h); break;
    }
  }
  return f;
}

// out = saturate(f * img + (1 - f) * other), other a Mat of the same shape or a scalar.
static cv::Mat blend(const cv::Mat& img, double f, const cv::Mat& other) {
  cv::Mat out;
  cv::addWeighted(img, f, other, 1 - f, 0, out);
  return out;
}

cv::Mat adjust_brightness(const cv::Mat& img, double f) {
  cv::Mat out;
  img.convertTo(out, img.type(), f);
  return out;
}

static cv::Mat gray1(const cv::Mat& img) {
  if (img.channels() == 1) return img;
  cv::Mat g;
  cv::cvtColor(img, g, cv::COLOR_RGB2GRAY);
  return g;
}

cv::Mat adjust_contrast(const cv::Mat& img, double f) {
  // Blend with the mean luma (a constant image), as torchvision does.
  double mean = cv::mean(gray1(img))[0];
  cv::Mat out;
  img.convertTo(out, img.type(), f, (1 - f) * mean);
  return out;
}

cv::Mat adjust_saturation(const cv::Mat& img, double f) {
  if (img.channels() == 1) return img.clone();
  return blend(img, f, to_gray(img));
}

cv::Mat adjust_hue(const cv::Mat& img, double shift) {
  if (img.channels() == 1 || shift == 0) return img.clone();
  cv::Mat hsv;
  cv::cvtColor(img, hsv, cv::COLOR_RGB2HSV_FULL);  // hue in 0..255, as PIL's HSV
  const int delta = static_cast<int>(std::lround(shift * 255));
  for (int y = 0; y < hsv.rows; ++y) {
    uint8_t* p = hsv.ptr<uint8_t>(y);
    for (int x = 0; x < hsv.cols; ++x) p[3 * x] = static_cast<uint8_t>((p[3 * x] + delta) & 0xff);
  }
  cv::Mat out;
  cv::cvtColor(hsv, out, cv::COLOR_HSV2RGB_FULL);
  return out;
}

cv::Mat color_jitter(const cv::Mat& img, const JitterFactors& f) {
  cv::Mat out = img;
  for (int k : f.order) {
    switch (k) {
      case 0: if (f.brightness != 1) out = adjust_brightness(out, f.brightness); break;
      case 1: if (f.contrast != 1) out = adjust_contrast(out, f.contrast); break;
      case 2: if (f.saturation != 1) out = adjust_saturation(out, f.saturation); break;
      case 3: if (f.hue != 0) out = adjust_hue(out, f.hue); break;
    }
  }
  return out.data == img.data ? img.clone() : out;
}

cv::Mat to_gray(const cv::Mat& img) {
  if (img.channels() == 1) return img.clone();
  cv::Mat g, out;
  cv::cvtColor(img, g, cv::COLOR_RGB2GRAY);
  cv::cvtColor(g, out, cv::COLOR_GRAY2RGB);
  return out;
}

int blur_kernel(const cv::Mat& img) {
  int k = static_cast<int>(0.1 * std::min(img.rows, img.cols)) | 1;
  return std::max(3, k);
}

cv::Mat gaussian_blur(const cv::Mat& img, double sigma) {
  cv::Mat out;
  int k = blur_kernel(img);
  cv::GaussianBlur(img, out, cv::Size(k, k), sigma, sigma, cv::BORDER_REFLECT_101);
  return out;
}

cv::Mat solarize(const cv::Mat& img, int threshold) {
  cv::Mat out = img.clone();
  const size_t n = out.total() * out.channels();
  uint8_t* p = out.ptr<uint8_t>();
  for (size_t i = 0; i < n; ++i)
    if (p[i] >= threshold) p[i] = static_cast<uint8_t>(255 - p[i]);
  return out;
}

cv::Mat equalize(const cv::Mat& img) {
  if (img.channels() == 1) {
    cv::Mat out;
    cv::equalizeHist(img, out);
    return out;
  }
  std::vector<cv::Mat> ch;
  cv::split(img, ch);
  for (auto& c : ch) cv::equalizeHist(c, c);
  cv::Mat out;
  cv::merge(ch, out);
  return out;
}

}  // namespace sslkit::augment
