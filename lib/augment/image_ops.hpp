// Image augmentations on uint8 cv::Mat (1 or 3 channels, RGB order), with
// torchvision's semantics so published recipes carry over. Every random
// draw comes from the Rng passed in.
#pragma once
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/rng.hpp"

namespace sslkit::augment {

// torchvision's RandomResizedCrop: area fraction in [scale_lo, scale_hi],
// log-uniform aspect ratio in [ratio_lo, ratio_hi], up to 10 tries, then a
// center crop clamped to the ratio range; resized to out_h x out_w.
cv::Mat random_resized_crop(const cv::Mat& img, int out_h, int out_w, double scale_lo, double scale_hi,
                            double ratio_lo, double ratio_hi, Rng& rng, int interpolation = cv::INTER_LINEAR,
                            cv::Rect* chosen = nullptr);
cv::Mat hflip(const cv::Mat& img);
// Rotation by k * 90 degrees counter-clockwise (k = 0..3).
cv::Mat rotate90(const cv::Mat& img, int k);

// The factors one color jitter call draws.
struct JitterFactors {
  double brightness = 1, contrast = 1, saturation = 1, hue = 0;
  int order[4] = {0, 1, 2, 3};  // 0 brightness, 1 contrast, 2 saturation, 3 hue
};
// Brightness, contrast and saturation factors uniform in [max(0, 1-x), 1+x],
// hue shift uniform in [-h, h] (h <= 0.5), applied in a random order. On
// one-channel images saturation and hue do nothing.
JitterFactors draw_jitter(double b, double c, double s, double h, Rng& rng);
cv::Mat color_jitter(const cv::Mat& img, const JitterFactors& f);
cv::Mat adjust_brightness(const cv::Mat& img, double f);
cv::Mat adjust_contrast(const cv::Mat& img, double f);
cv::Mat adjust_saturation(const cv::Mat& img, double f);
cv::Mat adjust_hue(const cv::Mat& img, double shift);

// Luma (ITU-R 601, as PIL's "L"), kept with the input's channel count.
cv::Mat to_gray(const cv::Mat& img);
// Gaussian blur with an odd kernel of about a tenth of the shorter side (at least 3).
cv::Mat gaussian_blur(const cv::Mat& img, double sigma);
int blur_kernel(const cv::Mat& img);
// Pixels at or above the threshold inverted.
cv::Mat solarize(const cv::Mat& img, int threshold = 128);
// Histogram equalization per channel.
cv::Mat equalize(const cv::Mat& img);

}  // namespace sslkit::augment
