// The confusion matrix as a picture for people (ssl-finetune --plot): rows
// the true class, columns the predicted one, each cell the share of its
// true class's rows in percent, shaded by it; class names on both axes and a
// title line above.
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace sslkit::eval {

// `class_names` name the classes 0, 1, ...; a class without a name (or all,
// when the list is empty) is shown by its number. Returns BGR.
cv::Mat draw_confusion(const std::vector<std::vector<int64_t>>& confusion, const std::vector<std::string>& class_names,
                       const std::string& title);

// A class name as the plot writes it: OpenCV's fonts have ASCII only, so
// each other character becomes one '?', and a name over `max_chars` keeps
// its first max_chars - 2 characters and "..".
std::string axis_label(const std::string& name, size_t max_chars);

}  // namespace sslkit::eval
