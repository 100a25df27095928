#include <doctest/doctest.h>

#include <opencv2/imgcodecs.hpp>

#include "eval/confusion_plot.hpp"

using namespace sslkit;

TEST_CASE("axis_label: ASCII as it is - one '?' per other character - long names cut") {
  CHECK(eval::axis_label("T-shirt/top", 16) == "T-shirt/top");
  CHECK(eval::axis_label("caf\xc3\xa9 \xe2\x82\xac", 16) == "caf? ?");  // é and € are one '?' each
  CHECK(eval::axis_label("tab\there", 16) == "tab?here");
  CHECK(eval::axis_label("a very long class name", 10) == "a very l..");
  CHECK(eval::axis_label("exactly10!", 10) == "exactly10!");
}

TEST_CASE("draw_confusion: names or numbers on the axes - any class count") {
  std::vector<std::vector<int64_t>> two{{8, 2}, {0, 10}};
  cv::Mat a = eval::draw_confusion(two, {"cat", "dog"}, "title");
  CHECK(a.type() == CV_8UC3);
  // Longer names take more room beside and under the grid; numbers stand in for missing names.
  cv::Mat b = eval::draw_confusion(two, {"a much longer name", "dog"}, "title");
  CHECK(b.cols > a.cols);
  CHECK(b.rows > a.rows);
  CHECK(eval::draw_confusion(two, {}, "title").rows < a.rows);
  // A long title widens the picture to fit it.
  CHECK(eval::draw_confusion(two, {}, std::string(200, 'x')).cols > 1000);
  // 100 classes keep the grid near 1400 pixels (14-pixel cells) and an empty row draws.
  std::vector<std::vector<int64_t>> many(100, std::vector<int64_t>(100, 1));
  many[3].assign(100, 0);
  cv::Mat c = eval::draw_confusion(many, {}, "100 classes");
  CHECK(c.cols < 1600);
  CHECK(c.rows < 1700);
}
