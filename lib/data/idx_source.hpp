// MNIST-format IDX files (gzipped or not) as an import source: unsigned
// byte images [N,H,W] or [N,H,W,C], with an optional IDX labels file.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "data/import.hpp"

namespace sslkit::data {

// ssl-import idx's files and options.
struct IdxImportOptions {
  std::string images;       // IDX images file
  std::string labels;       // IDX labels file; empty: unlabeled
  std::string class_names;  // comma-separated names of the label values 0, 1, ...
};

class IdxSource : public ImportSource {
 public:
  // `class_names` is an optional comma-separated list naming label values.
  IdxSource(const std::string& images_path, const std::string& labels_path = "",
            const std::string& class_names = "");
  ~IdxSource() override;
  io::Modality modality() const override { return io::Modality::image; }
  std::string name() const override { return images_path_; }
  size_t size() const override { return n_; }
  const std::vector<int32_t>& labels() const override { return labels_; }
  std::vector<std::string> class_names() const override { return class_names_; }
  void prepare(io::DataWriter& out) override;
  std::vector<bool> write_batch(io::DataWriter& out, const std::vector<size_t>& indices) override;

  size_t height() const { return h_; }
  size_t width() const { return w_; }
  size_t channels() const { return c_; }

 private:
  std::string images_path_;
  int fd_ = -1;             // the raw (decompressed) IDX bytes, read with pread
  size_t n_ = 0, h_ = 0, w_ = 0, c_ = 1, data_offset_ = 0;
  std::vector<int32_t> labels_;
  std::vector<std::string> class_names_;
};

// Reads an IDX file whole into memory after gunzip if needed (for labels).
std::vector<uint8_t> read_idx_file(const std::string& path, std::vector<uint32_t>& dims);

}  // namespace sslkit::data
