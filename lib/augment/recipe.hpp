// Augmentation recipes: a named recipe (simclr, mocov2, byol, rotation) or a
// custom string such as
//   "crop(0.2,1) flip(0.5) jitter(0.4,0.4,0.4,0.1,p=0.8) gray(0.2) blur(0.1,2,p=0.5)"
// parsed into a list of ops per view. docs/augment.md lists every op.
#pragma once
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "core/rng.hpp"

namespace sslkit::augment {

struct Op {
  std::string name;          // crop, flip, jitter, gray, blur, solarize, equalize
  std::vector<double> args;  // positional numbers, defaults filled in
  double p = 1.0;            // probability the op is applied
};

struct Recipe {
  std::string name;                    // "simclr", ..., or "custom"
  std::vector<std::vector<Op>> views;  // ops of view v are views[v % size]
  bool rotation = false;               // RotNet: view v is the image rotated by v*90 degrees
  std::string text() const;            // canonical form, stored as the /views attribute
};

// Parses `spec` (a name or a custom string); `strength` scales SimCLR's
// color jitter (1.0 ImageNet, 0.5 CIFAR). Errors are UsageErrors naming the
// op and what is wrong.
Recipe make_recipe(const std::string& spec, double strength = 1.0);

// One view of `img` (uint8, 1 or 3 channels) at out_h x out_w. For the
// rotation recipe `pretext` receives the rotation index.
cv::Mat make_view(const Recipe& r, const cv::Mat& img, int view, int out_h, int out_w, Rng& rng,
                  int32_t* pretext = nullptr);

}  // namespace sslkit::augment
