// CIFAR-10 and CIFAR-100 as their users download them: the binary version
// (cifar-10-batches-bin: data_batch_1.bin .. data_batch_5.bin, test_batch.bin,
// batches.meta.txt; cifar-100-binary: train.bin, test.bin,
// fine_label_names.txt, coarse_label_names.txt) as an import source of
// 32x32 RGB images with their labels and class names. A record is its label
// byte(s) (CIFAR-100: coarse, then fine) and 3072 pixel bytes, the red, green
// and blue 32x32 planes in turn, rows top to bottom; sslkit stores HxWxC.
// The python version (pickle) is refused: unpickling runs code.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/import.hpp"

namespace sslkit::data {

// ssl-import cifar's folder and options.
struct CifarImportOptions {
  std::string dir;             // the extracted folder, or the folder holding it
  std::string part = "train";  // train or test
  std::string labels;          // CIFAR-100: fine or coarse (empty: fine); CIFAR-10 has one kind
};

constexpr size_t kCifarSide = 32;
constexpr size_t kCifarPixels = kCifarSide * kCifarSide * 3;

// One record's planes (R, G, B, each 32x32 row-major) as HxWxC bytes.
void cifar_planes_to_hwc(const uint8_t* planes, uint8_t* hwc);

// Which files a folder holds: the variant, the record files of the part
// asked for (in order) and the class names file. Error naming the folder
// for the python version, a folder that is no CIFAR, or a missing file.
struct CifarLayout {
  int classes = 10;                  // 10, or 100 for CIFAR-100 (whose coarse labels have 20)
  std::string dir;                   // the folder the files are in
  std::vector<std::string> batches;  // record files of the part
  std::string names_file;            // class names, one a line
};
CifarLayout find_cifar(const std::string& dir, const std::string& part, const std::string& labels);

class CifarSource : public ImportSource {
 public:
  explicit CifarSource(const CifarImportOptions& opts);
  ~CifarSource() override;
  CifarSource(const CifarSource&) = delete;
  CifarSource& operator=(const CifarSource&) = delete;
  io::Modality modality() const override { return io::Modality::image; }
  std::string name() const override { return layout_.dir; }
  size_t size() const override { return labels_.size(); }
  const std::vector<int32_t>& labels() const override { return labels_; }
  std::vector<std::string> class_names() const override { return class_names_; }
  void prepare(io::DataWriter& out) override;
  std::vector<bool> write_batch(io::DataWriter& out, const std::vector<size_t>& indices) override;

 private:
  struct Batch {
    std::string path;
    int fd = -1;
    size_t first = 0, count = 0;  // which samples it holds
  };
  CifarLayout layout_;
  size_t label_bytes_ = 1;  // 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine)
  size_t label_at_ = 0;     // which label byte is the label
  std::vector<Batch> batches_;
  std::vector<int32_t> labels_;
  std::vector<std::string> class_names_;
};

}  // namespace sslkit::data
