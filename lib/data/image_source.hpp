// A folder of images (any format OpenCV decodes) as an import source: class
// subfolders as labels or a flat folder as unlabeled (see file_list.hpp),
// resized and center-cropped to one size, gray or RGB, decoded in parallel.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "data/file_list.hpp"
#include "data/import.hpp"

namespace sslkit::data {

struct ImageImportOptions {
  std::string input;          // folder or list file
  int size = 0;               // output side; 0 = keep (all images must agree)
  bool gray = false;          // 1 channel instead of RGB
  std::string fit = "crop";   // crop: shorter side to `size`, then center crop; stretch: resize to size x size
  bool skip_bad = false;      // skip unreadable images instead of failing
  // What transparent pixels of PNG and WebP images with alpha are composited
  // over (parse_background): an icon's transparent pixels are black under
  // their alpha.
  std::string background = "white";
};

// --background: white, black, gray (128) or #RRGGBB; UsageError otherwise.
std::array<uint8_t, 3> parse_background(const std::string& text);

// Images wider or taller than this are refused from their header, before
// decoding (a 389 KB PNG can declare 20000x20000 pixels, 1.2 GB decoded).
constexpr uint64_t kMaxImageSide = 8192;
// The largest output side of ssl-import images --size and ssl-augment --size.
constexpr int kMaxOutputSide = 1024;

// The file extensions read as images.
const std::vector<std::string>& image_extensions();

class ImageSource : public ImportSource {
 public:
  explicit ImageSource(const ImageImportOptions& opts);
  io::Modality modality() const override { return io::Modality::image; }
  std::string name() const override { return opts_.input; }
  size_t size() const override { return list_.files.size(); }
  const std::vector<int32_t>& labels() const override { return list_.labels; }
  std::vector<std::string> class_names() const override { return list_.class_names; }
  void prepare(io::DataWriter& out) override;
  std::vector<bool> write_batch(io::DataWriter& out, const std::vector<size_t>& indices) override;
  size_t skipped() const override { return skipped_; }

  int height() const { return h_; }
  int width() const { return w_; }
  int channels() const { return opts_.gray ? 1 : 3; }

 private:
  // Decodes file i into `out` (h_*w_*channels bytes); returns an error
  // message, empty on success.
  std::string load(size_t i, uint8_t* out) const;
  ImageImportOptions opts_;
  std::array<uint8_t, 3> background_;  // RGB
  FileList list_;
  int h_ = 0, w_ = 0;
  size_t skipped_ = 0;
};

}  // namespace sslkit::data
