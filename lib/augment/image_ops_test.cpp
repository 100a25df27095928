#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <opencv2/imgproc.hpp>

#include "augment/image_ops.hpp"
#include "augment/recipe.hpp"
#include "core/error.hpp"

using namespace sslkit;
using namespace sslkit::augment;

namespace {

cv::Mat pattern(int h, int w, int c) {
  cv::Mat m(h, w, c == 1 ? CV_8UC1 : CV_8UC3);
  Rng rng(7);
  for (size_t i = 0; i < m.total() * m.channels(); ++i) m.data[i] = static_cast<uint8_t>(rng.below(256));
  return m;
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

}  // namespace

TEST_CASE("augment: flip twice and four quarter turns are the identity") {
  for (int c : {1, 3}) {
    cv::Mat m = pattern(5, 7, c);
    CHECK(same(hflip(hflip(m)), m));
    CHECK(same(rotate90(rotate90(rotate90(rotate90(m, 1), 1), 1), 1), m));
    CHECK(same(rotate90(m, 2), rotate90(rotate90(m, 1), 1)));
    CHECK(rotate90(m, 1).rows == 7);
  }
}

TEST_CASE("augment: rotation by one quarter turn moves the top-right pixel to the top-left") {
  cv::Mat m = cv::Mat::zeros(3, 3, CV_8UC1);
  m.at<uint8_t>(0, 2) = 255;
  CHECK(rotate90(m, 1).at<uint8_t>(0, 0) == 255);  // counter-clockwise
}

TEST_CASE("augment: random resized crop keeps the area fraction and ratio in range") {
  cv::Mat m = pattern(64, 48, 3);
  Rng rng(1);
  int fallback = 0;
  for (int i = 0; i < 2000; ++i) {
    cv::Rect r;
    cv::Mat out = random_resized_crop(m, 16, 16, 0.2, 0.6, 0.75, 4.0 / 3.0, rng, cv::INTER_LINEAR, &r);
    REQUIRE(out.rows == 16);
    double frac = static_cast<double>(r.area()) / (64 * 48), ratio = static_cast<double>(r.width) / r.height;
    if (frac > 0.99) { ++fallback; continue; }
    // Rounding of w and h moves the fraction and ratio slightly past the bounds.
    CHECK(frac >= 0.2 * 0.9);
    CHECK(frac <= 0.6 * 1.1);
    CHECK(ratio >= 0.75 * 0.9);
    CHECK(ratio <= 4.0 / 3.0 * 1.1);
    CHECK(r.x >= 0);
    CHECK(r.y >= 0);
    CHECK(r.x + r.width <= 48);
    CHECK(r.y + r.height <= 64);
  }
  CHECK(fallback < 20);
}

TEST_CASE("augment: jitter factors lie in their ranges and all four orders occur") {
  Rng rng(2);
  std::set<int> firsts;
  for (int i = 0; i < 1000; ++i) {
    auto f = draw_jitter(0.4, 0.3, 0.2, 0.1, rng);
    CHECK(f.brightness >= 0.6);
    CHECK(f.brightness <= 1.4);
    CHECK(f.contrast >= 0.7);
    CHECK(f.contrast <= 1.3);
    CHECK(f.saturation >= 0.8);
    CHECK(f.saturation <= 1.2);
    CHECK(std::fabs(f.hue) <= 0.1);
    firsts.insert(f.order[0]);
  }
  CHECK(firsts.size() == 4);
}

TEST_CASE("augment: color ops on gray images: hue and saturation do nothing - brightness and contrast apply") {
  cv::Mat g = pattern(8, 8, 1);
  CHECK(same(adjust_hue(g, 0.3), g));
  CHECK(same(adjust_saturation(g, 0.1), g));
  CHECK_FALSE(same(adjust_brightness(g, 0.5), g));
  CHECK_FALSE(same(adjust_contrast(g, 0.5), g));
  // Brightness 0.5 halves each value (rounded).
  CHECK(adjust_brightness(g, 0.5).at<uint8_t>(3, 3) == cvRound(g.at<uint8_t>(3, 3) * 0.5));
  // Saturation 0 of an RGB image is its gray version.
  cv::Mat c = pattern(8, 8, 3);
  CHECK(same(adjust_saturation(c, 0.0), to_gray(c)));
}

TEST_CASE("augment: solarize inverts exactly the bright pixels") {
  cv::Mat g(1, 4, CV_8UC1);
  g.at<uint8_t>(0, 0) = 0;
  g.at<uint8_t>(0, 1) = 127;
  g.at<uint8_t>(0, 2) = 128;
  g.at<uint8_t>(0, 3) = 255;
  cv::Mat s = solarize(g);
  CHECK(s.at<uint8_t>(0, 1) == 127);
  CHECK(s.at<uint8_t>(0, 2) == 127);
  CHECK(s.at<uint8_t>(0, 3) == 0);
}

TEST_CASE("augment: flip rate of a recipe is close to its p") {
  auto r = make_recipe("flip(0.3)");
  cv::Mat m = pattern(4, 6, 1);
  int flips = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    Rng rng(5, i, 1);
    flips += same(make_view(r, m, 0, 4, 6, rng), hflip(m));
  }
  // Binomial(4000, 0.3): sd about 29; 5 sd.
  CHECK(std::abs(flips - 0.3 * n) < 145);
}

TEST_CASE("augment: the rotation recipe labels each view with its quarter turns") {
  auto r = make_recipe("rotation");
  cv::Mat m = pattern(6, 6, 3);
  for (int v = 0; v < 4; ++v) {
    Rng rng(1);
    int32_t label = -1;
    cv::Mat out = make_view(r, m, v, 6, 6, rng, &label);
    CHECK(label == v);
    CHECK(same(out, rotate90(m, v)));
  }
}

TEST_CASE("augment: recipe strings parse and bad ones are clear errors") {
  auto r = make_recipe("crop(0.2,1) flip(0.5) jitter(0.4,0.4,0.4,0.1,p=0.8) gray(0.2) blur(0.1,2,p=0.5)");
  REQUIRE(r.views.size() == 1);
  CHECK(r.views[0].size() == 5);
  CHECK(r.views[0][2].p == doctest::Approx(0.8));
  CHECK(r.views[0][0].args[0] == doctest::Approx(0.2));
  CHECK(make_recipe("byol").views.size() == 2);
  auto cubic = make_recipe("crop(0.2,1,bicubic)");
  REQUIRE(cubic.views[0][0].args.size() == 5);
  CHECK(cubic.views[0][0].args[4] == 1);
  // The canonical text parses back to the same recipe.
  CHECK(make_recipe(cubic.text()).text() == cubic.text());
  auto sim = make_recipe("simclr", 0.5);
  CHECK(make_recipe(sim.text()).text() == sim.text());
  CHECK(make_recipe("simclr", 0.5).views[0][2].args[0] == doctest::Approx(0.4));
  CHECK_THROWS_WITH_AS(make_recipe("blurr(1)"), doctest::Contains("unknown op 'blurr'"), UsageError);
  CHECK_THROWS_WITH_AS(make_recipe("crop(0.2,x)"), doctest::Contains("'x' is not a number"), UsageError);
  CHECK_THROWS_WITH_AS(make_recipe("crop(0.9,0.2)"), doctest::Contains("scale_lo <= scale_hi"), UsageError);
  CHECK_THROWS_WITH_AS(make_recipe("flip(0.5"), doctest::Contains("parenthes"), UsageError);
  CHECK_THROWS_WITH_AS(make_recipe("gray(p=1.5)"), doctest::Contains("p must be in"), UsageError);
  CHECK_THROWS_AS(make_recipe("jitter(1,1,1,1,1)"), UsageError);
}

TEST_CASE("augment: a view depends only on the seed - the sample id and the view index") {
  auto r = make_recipe("simclr");
  cv::Mat m = pattern(28, 28, 3);
  Rng a(9, 42, 1), b(9, 42, 1), c(9, 42, 2);
  cv::Mat va = make_view(r, m, 0, 28, 28, a), vb = make_view(r, m, 0, 28, 28, b), vc = make_view(r, m, 1, 28, 28, c);
  CHECK(same(va, vb));
  CHECK_FALSE(same(va, vc));
}
