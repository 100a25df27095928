#include "data/cifar_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"

namespace sslkit::data {

namespace fs = std::filesystem;

namespace {

const char* kDownload = "https://www.cs.toronto.edu/~kriz/cifar.html";

bool any_exists(const fs::path& dir, const std::vector<std::string>& names) {
  for (const std::string& n : names)
    if (fs::exists(dir / n)) return true;
  return false;
}

std::string variant(int classes) { return classes == 100 ? "CIFAR-100" : "CIFAR-10"; }

// The python version unpickles into arbitrary objects: refused with the way
// to the version sslkit reads.
[[noreturn]] void refuse_pickle(const fs::path& dir, int classes) {
  throw Error(dir.string(), "the python (pickle) version of " + variant(classes) +
                                ", which sslkit does not read; download the binary version (" +
                                (classes == 100 ? "cifar-100-binary.tar.gz" : "cifar-10-binary.tar.gz") +
                                " from " + kDownload + "), extract it and give its folder");
}

// The class names file: one name a line; blank lines (the real
// batches.meta.txt ends with some) and trailing spaces are dropped.
std::vector<std::string> read_names(const std::string& path, size_t want, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw Error(path, std::strerror(errno));
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  if (in.bad()) throw Error(path, "read failed");
  if (names.size() != want)
    throw Error(path, std::to_string(names.size()) + " class names for the " + std::to_string(want) + " classes of " +
                          what);
  return names;
}

}  // namespace

void cifar_planes_to_hwc(const uint8_t* planes, uint8_t* hwc) {
  constexpr size_t plane = kCifarSide * kCifarSide;
  for (size_t p = 0; p < plane; ++p)
    for (size_t c = 0; c < 3; ++c) hwc[3 * p + c] = planes[c * plane + p];
}

CifarLayout find_cifar(const std::string& dir, const std::string& part, const std::string& labels) {
  if (part != "train" && part != "test") throw UsageError("--part must be train or test, not '" + part + "'");
  if (!labels.empty() && labels != "fine" && labels != "coarse")
    throw UsageError("--labels must be fine or coarse, not '" + labels + "'");
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (!fs::exists(st)) throw Error(dir, std::strerror(ENOENT));
  if (!fs::is_directory(st)) {
    const std::string name = fs::path(dir).filename().string();
    if (name.ends_with(".tar.gz") || name.ends_with(".tgz"))
      throw Error(dir, "an archive: extract it first (tar xzf " + name + ") and give the folder it makes");
    throw Error(dir, "not a folder: give the folder of the binary CIFAR files (cifar-10-batches-bin or "
                     "cifar-100-binary)");
  }
  const std::vector<std::string> bin10 = {"data_batch_1.bin", "test_batch.bin", "batches.meta.txt"};
  const std::vector<std::string> bin100 = {"train.bin", "test.bin", "fine_label_names.txt", "coarse_label_names.txt"};
  fs::path d = dir;
  // The folder the archive was extracted into, holding the one it made.
  if (!any_exists(d, bin10) && !any_exists(d, bin100)) {
    const bool has10 = fs::is_directory(d / "cifar-10-batches-bin"), has100 = fs::is_directory(d / "cifar-100-binary");
    if (has10 && has100)
      throw Error(dir, "holds both cifar-10-batches-bin and cifar-100-binary: give the one to import");
    if (has10) d /= "cifar-10-batches-bin";
    if (has100) d /= "cifar-100-binary";
  }
  CifarLayout L;
  L.dir = d.string();
  const bool is10 = any_exists(d, bin10), is100 = any_exists(d, bin100);
  if (is10 && is100) throw Error(L.dir, "holds files of both CIFAR-10 and CIFAR-100: give the folder of one");
  if (!is10 && !is100) {
    if (any_exists(d, {"data_batch_1", "test_batch", "batches.meta"}) || fs::is_directory(d / "cifar-10-batches-py"))
      refuse_pickle(d, 10);
    if ((fs::exists(d / "meta") && (fs::exists(d / "train") || fs::exists(d / "test"))) ||
        fs::is_directory(d / "cifar-100-python"))
      refuse_pickle(d, 100);
    throw Error(L.dir, "no CIFAR files: expected the binary version's data_batch_1.bin .. data_batch_5.bin, "
                       "test_batch.bin (CIFAR-10) or train.bin, test.bin (CIFAR-100)");
  }
  L.classes = is100 ? 100 : 10;
  if (is10 && !labels.empty())
    throw UsageError("--labels " + labels + " chooses between CIFAR-100's fine and coarse labels; " + L.dir +
                     " holds CIFAR-10");
  auto need = [&](const std::string& name, const std::string& what) {
    const fs::path p = d / name;
    if (!fs::is_regular_file(p)) throw Error(p.string(), "missing: " + what);
    return p.string();
  };
  if (is10) {
    if (part == "train")
      for (int i = 1; i <= 5; ++i)
        L.batches.push_back(need("data_batch_" + std::to_string(i) + ".bin",
                                 "CIFAR-10's training set is data_batch_1.bin to data_batch_5.bin"));
    else
      L.batches.push_back(need("test_batch.bin", "CIFAR-10's test set"));
    L.names_file = need("batches.meta.txt", "CIFAR-10's class names");
  } else {
    L.batches.push_back(need(part + ".bin", "CIFAR-100's " + part + " set"));
    L.names_file = labels == "coarse" ? need("coarse_label_names.txt", "CIFAR-100's coarse class names")
                                      : need("fine_label_names.txt", "CIFAR-100's fine class names");
  }
  return L;
}

CifarSource::CifarSource(const CifarImportOptions& opts) : layout_(find_cifar(opts.dir, opts.part, opts.labels)) {
  const bool coarse = opts.labels == "coarse";
  const size_t classes = layout_.classes == 10 ? 10 : coarse ? 20 : 100;
  const std::string what = variant(layout_.classes) + (layout_.classes == 10 ? "" : coarse ? "'s coarse labels" : "'s fine labels");
  class_names_ = read_names(layout_.names_file, classes, what);
  label_bytes_ = layout_.classes == 10 ? 1 : 2;
  label_at_ = layout_.classes == 100 && !coarse ? 1 : 0;
  const size_t record = label_bytes_ + kCifarPixels;
  const std::string record_text = std::to_string(record) + "-byte " + variant(layout_.classes) + " records (" +
                                  (label_bytes_ == 1 ? "a label byte" : "2 label bytes") + " and 3072 pixel bytes)";
  try {
    for (const std::string& path : layout_.batches) {
      Batch b;
      b.path = path;
      b.fd = open(path.c_str(), O_RDONLY);
      if (b.fd < 0) throw Error(path, std::strerror(errno));
      batches_.push_back(b);
      struct stat s {};
      if (fstat(b.fd, &s) != 0) throw Error(path, std::strerror(errno));
      const size_t bytes = static_cast<size_t>(s.st_size);
      if (bytes == 0) throw Error(path, "empty: no " + record_text);
      if (bytes % record != 0)
        throw Error(path, std::to_string(bytes) + " bytes is not a whole number of " + record_text +
                              ": truncated, or not " + variant(layout_.classes));
      batches_.back().first = labels_.size();
      batches_.back().count = bytes / record;
      // The labels, a block of records at a time.
      const size_t block = 1024;
      std::vector<uint8_t> buf(block * record);
      for (size_t at = 0; at < batches_.back().count; at += block) {
        const size_t n = std::min(block, batches_.back().count - at);
        if (pread(b.fd, buf.data(), n * record, at * record) != static_cast<ssize_t>(n * record))
          throw Error(path, "read failed");
        for (size_t i = 0; i < n; ++i) {
          const uint8_t label = buf[i * record + label_at_];
          if (label >= classes)
            throw Error(path, "record " + std::to_string(at + i) + " has label " + std::to_string(label) +
                                  ", past the " + std::to_string(classes) + " classes of " + what);
          labels_.push_back(label);
        }
      }
    }
  } catch (...) {
    for (const Batch& b : batches_) close(b.fd);
    batches_.clear();
    throw;
  }
}

CifarSource::~CifarSource() {
  for (const Batch& b : batches_) close(b.fd);
}

void CifarSource::prepare(io::DataWriter& out) {
  out.create("/images", io::DType::u8, {kCifarSide, kCifarSide, 3});
}

std::vector<bool> CifarSource::write_batch(io::DataWriter& out, const std::vector<size_t>& indices) {
  const size_t record = label_bytes_ + kCifarPixels;
  std::vector<uint8_t> raw(record), images(kCifarPixels * indices.size());
  for (size_t j = 0; j < indices.size(); ++j) {
    const size_t i = indices[j];
    // The batch holding sample i: the last whose first sample is at most i.
    const auto it = std::upper_bound(batches_.begin(), batches_.end(), i,
                                     [](size_t v, const Batch& b) { return v < b.first; }) - 1;
    if (pread(it->fd, raw.data(), record, (i - it->first) * record) != static_cast<ssize_t>(record))
      throw Error(it->path, "read failed");
    cifar_planes_to_hwc(raw.data() + label_bytes_, images.data() + j * kCifarPixels);
  }
  out.append("/images", images.data(), indices.size());
  return std::vector<bool>(indices.size(), true);
}

}  // namespace sslkit::data
