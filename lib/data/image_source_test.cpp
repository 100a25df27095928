#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "core/error.hpp"
#include "data/image_source.hpp"
#include "io/test_util.hpp"

using namespace sslkit;
using namespace sslkit::data;
using sslkit::testing::ScratchDir;

static const std::string kData = SSLKIT_DATA_DIR;

TEST_CASE("images: class subfolders become sorted class names and labels") {
  ImageImportOptions o;
  o.input = kData + "/images/fashion";
  o.gray = true;
  ImageSource src(o);
  CHECK(src.size() == 12);
  CHECK(src.class_names() == std::vector<std::string>{"Sneaker", "T-shirt-top", "Trouser"});
  CHECK(src.labels()[0] == 0);
  CHECK(src.labels()[11] == 2);
  CHECK(src.height() == 28);
  CHECK(src.channels() == 1);
}

TEST_CASE("images: RGB pixels arrive in RGB order - resized and center-cropped") {
  ScratchDir dir;
  // 40x20 image: left half pure red, right half pure blue (OpenCV writes BGR).
  cv::Mat m(20, 40, CV_8UC3, cv::Scalar(0, 0, 255));
  m(cv::Rect(20, 0, 20, 20)).setTo(cv::Scalar(255, 0, 0));
  std::filesystem::create_directories(dir / "flat");
  cv::imwrite(dir / "flat/a.png", m);
  ImageImportOptions o;
  o.input = dir / "flat";
  o.size = 10;
  ImageSource src(o);
  ImportOptions io_;
  io_.output = dir / "out.h5";
  run_import(src, io_);
  io::DataReader r(io_.output);
  CHECK(r.info("/images").shape == std::vector<hsize_t>{1, 10, 10, 3});
  std::vector<uint8_t> px(300);
  r.read<uint8_t>("/images", 0, 1, px.data());
  // Shorter side 20 -> 10, width 40 -> 20, center crop keeps columns 5..14:
  // column 0 is red, column 9 is blue.
  CHECK(px[0] == 255);
  CHECK(px[2] == 0);
  CHECK(px[9 * 3 + 0] == 0);
  CHECK(px[9 * 3 + 2] == 255);
  CHECK(r.labels()[0] == -1);
}

TEST_CASE("images: different sizes without --size is a clear error") {
  ScratchDir dir;
  ImageImportOptions o;
  o.input = kData + "/images/color";
  ImageSource src(o);
  ImportOptions io_;
  io_.output = dir / "out.h5";
  CHECK_THROWS_WITH_AS(run_import(src, io_), doctest::Contains("use --size"), Error);
  CHECK_FALSE(std::filesystem::exists(io_.output));
}

TEST_CASE("images: an unreadable image fails by default and is skipped with skip_bad") {
  ScratchDir dir;
  std::filesystem::create_directories(dir / "f/cat");
  std::filesystem::copy(kData + "/images/fashion/Sneaker", dir / "f/cat");
  std::ofstream(dir / "f/cat/broken.png") << "this is not a png";
  ImageImportOptions o;
  o.input = dir / "f";
  o.gray = true;
  {
    ImageSource src(o);
    ImportOptions io_;
    io_.output = dir / "out.h5";
    CHECK_THROWS_WITH_AS(run_import(src, io_), doctest::Contains("broken.png"), Error);
  }
  o.skip_bad = true;
  ImageSource src(o);
  ImportOptions io_;
  io_.output = dir / "out.h5";
  run_import(src, io_);
  CHECK(src.skipped() == 1);
  io::DataReader r(io_.output);
  CHECK(r.size() == 4);
}

TEST_CASE("images: an empty folder is an error") {
  ScratchDir dir;
  std::filesystem::create_directories(dir / "empty");
  ImageImportOptions o;
  o.input = dir / "empty";
  CHECK_THROWS_WITH_AS(ImageSource{o}, doctest::Contains("no images found"), Error);
}

TEST_CASE("images: a list file with class names") {
  ScratchDir dir;
  std::ofstream(dir / "list.txt") << kData + "/images/fashion/Trouser/0016.png trousers\n"
                                  << kData + "/images/fashion/Sneaker/0006.png shoes\n";
  ImageImportOptions o;
  o.input = dir / "list.txt";
  o.gray = true;
  ImageSource src(o);
  CHECK(src.class_names() == std::vector<std::string>{"shoes", "trousers"});
  CHECK(src.labels() == std::vector<int32_t>{1, 0});
}

namespace {

// The one image of `dir`/flat imported with `o`, as bytes.
std::vector<uint8_t> import_one(const ScratchDir& dir, ImageImportOptions o) {
  o.input = dir / "flat";
  ImageSource src(o);
  ImportOptions io_;
  io_.output = dir / "out.h5";
  std::filesystem::remove(io_.output);
  run_import(src, io_);
  io::DataReader r(io_.output);
  std::vector<uint8_t> px(src.height() * src.width() * src.channels());
  r.read<uint8_t>("/images", 0, 1, px.data());
  return px;
}

}  // namespace

TEST_CASE("images: alpha is composited over --background - 8 and 16 bits") {
  ScratchDir dir;
  std::filesystem::create_directories(dir / "flat");
  for (int depth : {CV_8U, CV_16U}) {
    CAPTURE(depth);
    const double one = depth == CV_8U ? 1 : 257;
    // BGRA: transparent red (black under alpha would be (0,0,0)), half-transparent red, opaque blue.
    cv::Mat m(1, 3, CV_MAKETYPE(depth, 4));
    m(cv::Rect(0, 0, 1, 1)).setTo(cv::Scalar(0, 0, 255 * one, 0));
    m(cv::Rect(1, 0, 1, 1)).setTo(cv::Scalar(0, 0, 255 * one, 128 * one));
    m(cv::Rect(2, 0, 1, 1)).setTo(cv::Scalar(255 * one, 0, 0, 255 * one));
    cv::imwrite(dir / "flat/a.png", m);
    ImageImportOptions o;
    // White by default: transparent -> white, half -> red over white, opaque unchanged.
    CHECK(import_one(dir, o) == std::vector<uint8_t>{255, 255, 255, 255, 127, 127, 0, 0, 255});
    o.background = "#102030";
    CHECK(import_one(dir, o) == std::vector<uint8_t>{16, 32, 48, 136, 16, 24, 0, 0, 255});
    o.background = "black";
    o.gray = true;
    // Gray of pure red is 76 (0.299 * 255); half of it over black 38.
    const std::vector<uint8_t> g = import_one(dir, o);
    CHECK(g[0] == 0);
    CHECK(std::abs(g[1] - 38) <= 1);
    CHECK(std::abs(g[2] - 29) <= 1);
  }
}

TEST_CASE("images: --background parses white - black - gray - #RRGGBB and refuses the rest") {
  CHECK(parse_background("white") == std::array<uint8_t, 3>{255, 255, 255});
  CHECK(parse_background("black") == std::array<uint8_t, 3>{0, 0, 0});
  CHECK(parse_background("gray") == std::array<uint8_t, 3>{128, 128, 128});
  CHECK(parse_background("#FF8800") == std::array<uint8_t, 3>{255, 136, 0});
  for (const char* bad : {"", "red", "#fff", "#12345g", "#1234567", "ff8800"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_background(bad), UsageError);
  }
}
