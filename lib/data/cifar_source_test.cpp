// The CIFAR binary format on records written here: plane order, label
// bytes, and which folders are CIFAR at all.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "data/cifar_source.hpp"
#include "io/test_util.hpp"

using namespace sslkit;
using namespace sslkit::data;
using sslkit::testing::ScratchDir;

namespace {

// A record whose pixel (y, x) of channel c is (c * 50 + y * 3 + x) mod 256.
std::string record(const std::string& labels) {
  std::string r = labels;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) r += static_cast<char>((c * 50 + y * 3 + x) % 256);
  return r;
}

void write(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::string message(const std::string& dir, const std::string& part = "train", const std::string& labels = "") {
  try {
    find_cifar(dir, part, labels);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("cifar: the red green and blue planes become HxWxC pixels") {
  const std::string r = record("");
  std::vector<uint8_t> hwc(kCifarPixels);
  cifar_planes_to_hwc(reinterpret_cast<const uint8_t*>(r.data()), hwc.data());
  for (int y : {0, 1, 31})
    for (int x : {0, 2, 31})
      for (int c = 0; c < 3; ++c) {
        CAPTURE(y);
        CAPTURE(x);
        CAPTURE(c);
        CHECK(hwc[(y * 32 + x) * 3 + c] == (c * 50 + y * 3 + x) % 256);
      }
}

TEST_CASE("cifar: CIFAR-100's fine label is its second label byte and the coarse one its first") {
  ScratchDir dir;
  write(dir / "train.bin", record(std::string("\x03\x41", 2)) + record(std::string("\x13\x07", 2)));
  std::string fine, coarse;
  for (int i = 0; i < 100; ++i) fine += "f" + std::to_string(i) + "\n";
  for (int i = 0; i < 20; ++i) coarse += "c" + std::to_string(i) + "\r\n";  // CRLF lines read as well
  write(dir / "fine_label_names.txt", fine);
  write(dir / "coarse_label_names.txt", coarse);
  CifarSource f({.dir = dir.path.string()});
  CHECK(f.labels() == std::vector<int32_t>{0x41, 7});
  CHECK(f.class_names().size() == 100);
  CifarSource c({.dir = dir.path.string(), .labels = "coarse"});
  CHECK(c.labels() == std::vector<int32_t>{3, 0x13});
  CHECK(c.class_names().at(19) == "c19");
  CHECK_THROWS_AS(find_cifar(dir.path.string(), "test", ""), Error);  // no test.bin
}

TEST_CASE("cifar: the python version is refused and named and an unrelated folder is not CIFAR") {
  ScratchDir dir;
  std::filesystem::create_directories(dir / "a");
  write(dir / "a/data_batch_1", "\x80\x04");
  CHECK(message(dir / "a").find("the python (pickle) version of CIFAR-10") != std::string::npos);
  std::filesystem::create_directories(dir / "b/cifar-100-python");
  CHECK(message(dir / "b").find("cifar-100-binary.tar.gz") != std::string::npos);
  std::filesystem::create_directories(dir / "c");
  write(dir / "c/notes.txt", "x");
  CHECK(message(dir / "c").find("no CIFAR files") != std::string::npos);
  // The binary files win where both versions were extracted side by side.
  write(dir / "a/test_batch.bin", record("\x01"));
  write(dir / "a/batches.meta.txt", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n");
  CHECK(message(dir / "a", "test") == "");
  CHECK_THROWS_AS(find_cifar(dir / "a", "test", "fine"), UsageError);
}
