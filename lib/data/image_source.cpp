#include "data/image_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
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

namespace {

// libpng prints its own "libpng error: ..." line on stderr before OpenCV
// returns an empty image; the tool's one line says the same with the file's
// name. While any thread decodes, stderr goes to /dev/null.
class QuietStderr {
 public:
  QuietStderr() {
    std::lock_guard<std::mutex> l(mutex_);
    if (depth_++ == 0) {
      std::fflush(stderr);
      saved_ = dup(STDERR_FILENO);
      int null = open("/dev/null", O_WRONLY);
      if (null >= 0) {
        dup2(null, STDERR_FILENO);
        close(null);
      }
    }
  }
  ~QuietStderr() {
    std::lock_guard<std::mutex> l(mutex_);
    if (--depth_ == 0 && saved_ >= 0) {
      dup2(saved_, STDERR_FILENO);
      close(saved_);
      saved_ = -1;
    }
  }

 private:
  static inline std::mutex mutex_;
  static inline int depth_ = 0, saved_ = -1;
};

uint32_t be32(const unsigned char* p) { return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]; }
uint32_t le32(const unsigned char* p) { return (uint32_t(p[3]) << 24) | (uint32_t(p[2]) << 16) | (uint32_t(p[1]) << 8) | p[0]; }

// The first 64 KiB of a file: enough for any header read below.
std::vector<unsigned char> file_head(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> h(64 << 10);
  in.read(reinterpret_cast<char*>(h.data()), static_cast<std::streamsize>(h.size()));
  h.resize(static_cast<size_t>(in.gcount()));
  return h;
}

// Whether a PNG or WebP header says the image has alpha: PNG colour types 4
// (gray + alpha) and 6 (RGBA), or a tRNS chunk on an RGB or palette image
// (OpenCV decodes those three as BGRA); a WebP VP8X alpha flag or a lossless
// (VP8L) alpha bit. Other formats decode as before, alpha dropped.
bool header_has_alpha(const std::vector<unsigned char>& h) {
  const size_t n = h.size();
  if (n >= 33 && std::memcmp(h.data(), "\x89PNG\r\n\x1a\n", 8) == 0) {
    const unsigned char colour = h[25];
    if (colour == 4 || colour == 6) return true;
    if (colour != 2 && colour != 3) return false;
    // tRNS comes after IHDR (and PLTE) and before the first IDAT.
    for (size_t p = 8; p + 8 <= n;) {
      const uint32_t len = be32(&h[p]);
      if (std::memcmp(&h[p + 4], "tRNS", 4) == 0) return true;
      if (std::memcmp(&h[p + 4], "IDAT", 4) == 0) return false;
      p += 12 + static_cast<size_t>(len);
    }
    return false;
  }
  if (n >= 30 && std::memcmp(h.data(), "RIFF", 4) == 0 && std::memcmp(&h[8], "WEBP", 4) == 0) {
    if (std::memcmp(&h[12], "VP8X", 4) == 0) return (h[20] & 0x10) != 0;
    if (std::memcmp(&h[12], "VP8L", 4) == 0) return (le32(&h[21]) >> 28 & 1) != 0;
  }
  return false;
}

// Width and height from the header of a PNG, JPEG, BMP or GIF without
// decoding it; {0, 0} when the format is another or the header is unclear.
std::pair<uint64_t, uint64_t> header_size(const std::vector<unsigned char>& h) {
  const size_t n = h.size();
  if (n >= 24 && std::memcmp(h.data(), "\x89PNG\r\n\x1a\n", 8) == 0) return {be32(&h[16]), be32(&h[20])};
  if (n >= 26 && h[0] == 'B' && h[1] == 'M') {
    const int32_t w = static_cast<int32_t>(le32(&h[18])), ht = static_cast<int32_t>(le32(&h[22]));
    return {static_cast<uint64_t>(std::abs(static_cast<int64_t>(w))), static_cast<uint64_t>(std::abs(static_cast<int64_t>(ht)))};
  }
  if (n >= 10 && std::memcmp(h.data(), "GIF8", 4) == 0) return {h[6] | (h[7] << 8), h[8] | (h[9] << 8)};
  if (n >= 4 && h[0] == 0xFF && h[1] == 0xD8) {
    size_t p = 2;
    while (p + 9 < n) {
      if (h[p] != 0xFF) return {0, 0};
      const unsigned char marker = h[p + 1];
      const size_t len = (h[p + 2] << 8) | h[p + 3];
      const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof) return {static_cast<uint64_t>((h[p + 7] << 8) | h[p + 8]), static_cast<uint64_t>((h[p + 5] << 8) | h[p + 6])};
      p += 2 + len;
    }
  }
  return {0, 0};
}

// BGRA (8 or 16 bits) over an opaque RGB background, as 8-bit BGR: each
// colour weighted by its alpha, the background by the rest, rounded.
cv::Mat composite(const cv::Mat& bgra, const std::array<uint8_t, 3>& rgb) {
  const uint32_t bg[3] = {rgb[2], rgb[1], rgb[0]};
  cv::Mat out(bgra.rows, bgra.cols, CV_8UC3);
  for (int y = 0; y < bgra.rows; ++y) {
    uint8_t* o = out.ptr<uint8_t>(y);
    if (bgra.depth() == CV_8U) {
      // Integer arithmetic: most icons are 8-bit, and thousands go by in an import.
      const uint8_t* q = bgra.ptr<uint8_t>(y);
      for (int x = 0; x < bgra.cols; ++x, q += 4, o += 3) {
        const uint32_t a = q[3];
        for (int c = 0; c < 3; ++c) o[c] = static_cast<uint8_t>((q[c] * a + bg[c] * (255 - a) + 127) / 255);
      }
    } else {
      const uint16_t* q = bgra.ptr<uint16_t>(y);
      for (int x = 0; x < bgra.cols; ++x, q += 4, o += 3) {
        const double a = q[3] / 65535.0;
        for (int c = 0; c < 3; ++c) o[c] = cv::saturate_cast<uint8_t>(q[c] / 257.0 * a + bg[c] * (1 - a));
      }
    }
  }
  return out;
}

}  // namespace

std::array<uint8_t, 3> parse_background(const std::string& text) {
  if (text == "white") return {255, 255, 255};
  if (text == "black") return {0, 0, 0};
  if (text == "gray" || text == "grey") return {128, 128, 128};
  if (text.size() == 7 && text[0] == '#' &&
      text.find_first_not_of("0123456789abcdefABCDEF", 1) == std::string::npos) {
    const unsigned long v = std::stoul(text.substr(1), nullptr, 16);
    return {static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  }
  throw UsageError("--background must be white, black, gray or #RRGGBB, e.g. #ff8800; got \"" + text + "\"");
}

// Decodes one image as 8-bit gray or RGB; empty Mat when it cannot. An image
// past kMaxImageSide is refused from its header, before any pixel is decoded.
// An image with alpha is composited over `background` (RGB) first.
static cv::Mat decode(const std::string& path, bool gray, const std::array<uint8_t, 3>& background, std::string& why) {
  auto too_large = [&](uint64_t w, uint64_t h) {
    why = std::to_string(w) + "x" + std::to_string(h) + " pixels, larger than the " + std::to_string(kMaxImageSide) +
          "-pixel side sslkit decodes (resize it first)";
    return cv::Mat();
  };
  const std::vector<unsigned char> head = file_head(path);
  auto [w, h] = header_size(head);
  if (w > kMaxImageSide || h > kMaxImageSide) return too_large(w, h);
  // Only images with alpha are decoded with it: the others keep OpenCV's
  // own decoding to 8 bits, gray and EXIF orientation, byte for byte.
  const bool alpha = header_has_alpha(head);
  cv::Mat m;
  {
    QuietStderr quiet;
    m = cv::imread(path, alpha ? cv::IMREAD_UNCHANGED : gray ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  }
  if (m.empty()) {
    why = "cannot decode image (corrupt, truncated or not an image)";
    return m;
  }
  if (m.cols > static_cast<int>(kMaxImageSide) || m.rows > static_cast<int>(kMaxImageSide)) return too_large(m.cols, m.rows);
  if (alpha) {
    if (m.channels() == 4 && (m.depth() == CV_8U || m.depth() == CV_16U)) {
      m = composite(m, background);
    } else {
      // Not what the header promised: convert as IMREAD_COLOR would.
      if (m.depth() == CV_16U) m.convertTo(m, CV_8U, 1.0 / 256);
      if (m.channels() == 1) cv::cvtColor(m, m, cv::COLOR_GRAY2BGR);
      if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2BGR);
    }
    if (gray) cv::cvtColor(m, m, cv::COLOR_BGR2GRAY);
  }
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
  background_ = parse_background(opts_.background);
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
    std::string why;
    cv::Mat m = decode(f, opts_.gray, background_, why);
    if (m.empty()) {
      if (opts_.skip_bad) continue;
      throw Error(f, why);
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
  std::string why;
  cv::Mat m = decode(path, opts_.gray, background_, why);
  if (m.empty()) return why;
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
      bool unreadable = errors[j].rfind("cannot decode image", 0) == 0 || errors[j].find("pixels, larger than") != std::string::npos;
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
