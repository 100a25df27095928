#include "data/image_source.hpp"

#include <algorithm>
#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "core/log.hpp"

namespace sslkit::data {

const std::vector<std::string>& image_extensions() {
  static const std::vector<std::string> ext = {"png", "jpg", "jpeg", "bmp", "dib", "tif", "tiff", "webp",
                                               "pgm", "ppm", "pbm", "pnm", "pxm", "sr", "ras", "exr", "hdr", "pic", "jp2"};
  return ext;
}

// Decodes one image as 8-bit gray or RGB; empty Mat when it cannot.
static cv::Mat decode(const std::string& path, bool gray) {
  cv::Mat m = cv::imread(path, gray ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  if (m.empty()) return m;
  if (!gray) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
  return m;
}

// Shorter side to `size` then a center crop (torchvision's Resize + CenterCrop),
// or a plain resize to size x size.
static cv::Mat fit_to(const cv::Mat& m, int size, bool crop) {
  if (!crop) {
    cv::Mat out;
    int interp = (m.cols > size || m.rows > size) ? cv::INTER_AREA : cv::INTER_LINEAR;
    cv::resize(m, out, cv::Size(size, size), 0, 0, interp);
    return out;
  }
  double scale = static_cast<double>(size) / std::min(m.cols, m.rows);
  int nw = std::max(size, static_cast<int>(std::lround(m.cols * scale)));
  int nh = std::max(size, static_cast<int>(std::lround(m.rows * scale)));
  cv::Mat resized;
  if (nw == m.cols && nh == m.rows) resized = m;
  else cv::resize(m, resized, cv::Size(nw, nh), 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  int x = (nw - size) / 2, y = (nh - size) / 2;
  return resized(cv::Rect(x, y, size, size));
}

ImageSource::ImageSource(const ImageImportOptions& opts) : opts_(opts) {
  if (opts_.fit != "crop" && opts_.fit != "stretch") throw UsageError("--fit must be crop or stretch");
  if (opts_.size < 0) throw UsageError("--size must be positive");
  list_ = list_dataset_files(opts_.input, image_extensions());
  if (list_.ignored > 0)
    warn("ignored " + std::to_string(list_.ignored) + " files in " + opts_.input + " that are not images");
  if (list_.files.empty()) throw Error(opts_.input, "no images found");
  if (opts_.size > 0) {
    h_ = w_ = opts_.size;
    return;
  }
  // Without --size the first readable image sets the size every other must have.
  for (auto& f : list_.files) {
    cv::Mat m = decode(f, opts_.gray);
    if (m.empty()) {
      if (opts_.skip_bad) continue;
      throw Error(f, "cannot decode image");
    }
    h_ = m.rows;
    w_ = m.cols;
    return;
  }
  throw Error(opts_.input, "no readable images");
}

void ImageSource::prepare(io::DataWriter& out) {
  out.create("/images", io::DType::u8,
             {static_cast<hsize_t>(h_), static_cast<hsize_t>(w_), static_cast<hsize_t>(channels())});
}

std::string ImageSource::load(size_t i, uint8_t* out) const {
  const std::string& path = list_.files[i];
  cv::Mat m = decode(path, opts_.gray);
  if (m.empty()) return "cannot decode image";
  if (opts_.size > 0) {
    m = fit_to(m, opts_.size, opts_.fit == "crop");
  } else if (m.rows != h_ || m.cols != w_) {
    return "image is " + std::to_string(m.cols) + "x" + std::to_string(m.rows) + " but the others are " +
           std::to_string(w_) + "x" + std::to_string(h_) + "; use --size to resize";
  }
  const size_t row = static_cast<size_t>(w_) * channels();
  for (int y = 0; y < h_; ++y) std::memcpy(out + y * row, m.ptr<uint8_t>(y), row);
  return "";
}

std::vector<bool> ImageSource::write_batch(io::DataWriter& out, const std::vector<size_t>& indices) {
  const size_t n = indices.size();
  const size_t bytes = static_cast<size_t>(h_) * w_ * channels();
  std::vector<uint8_t> buf(bytes * n);
  std::vector<std::string> errors(n);
#pragma omp parallel for schedule(dynamic)
  for (size_t j = 0; j < n; ++j) {
    try {
      errors[j] = load(indices[j], buf.data() + j * bytes);
    } catch (const std::exception& e) {
      errors[j] = e.what();
    }
  }
  std::vector<bool> ok(n, true);
  size_t kept = 0;
  for (size_t j = 0; j < n; ++j) {
    if (!errors[j].empty()) {
      // A size mismatch is not a bad file: --skip-bad does not hide it.
      bool unreadable = errors[j] == "cannot decode image";
      if (!opts_.skip_bad || !unreadable) throw Error(list_.files[indices[j]], errors[j]);
      ok[j] = false;
      ++skipped_;
      continue;
    }
    if (kept != j) std::memmove(buf.data() + kept * bytes, buf.data() + j * bytes, bytes);
    ++kept;
  }
  out.append("/images", buf.data(), kept);
  return ok;
}

}  // namespace sslkit::data
