#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "io/data_file.hpp"
#include "io/test_util.hpp"

using namespace sslkit;
using namespace sslkit::io;
using sslkit::testing::ScratchDir;

namespace {

// A valid image file of n samples, pixel value = sample index.
void write_images(const std::string& path, size_t n, size_t h = 4, size_t w = 3) {
  DataWriter w_(path, Modality::image);
  w_.create("/images", DType::u8, {h, w, 1});
  w_.create("/labels", DType::i32, {});
  w_.create("/ids", DType::i64, {});
  set_attr_strings(w_.dataset("/labels"), "class_names", {"a", "b", "c"});
  for (size_t i = 0; i < n; ++i) {
    std::vector<uint8_t> img(h * w, static_cast<uint8_t>(i));
    w_.append("/images", img.data(), 1);
    w_.append("/labels", std::vector<int32_t>{static_cast<int32_t>(i % 3)});
    w_.append("/ids", std::vector<int64_t>{static_cast<int64_t>(100 + i)});
  }
  w_.set_history({"test"});
  w_.commit();
}

// Raw HDF5 for files our writer would never make.
struct RawFile {
  Handle f;
  explicit RawFile(const std::string& path) {
    silence_hdf5_errors();
    f = Handle(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  }
  void dataset(const std::string& name, hid_t type, std::vector<hsize_t> dims) {
    Handle s(H5Screate_simple(dims.size(), dims.data(), nullptr), H5Sclose);
    Handle d(H5Dcreate2(f, name.c_str(), type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  }
};

std::string error_of(const std::string& path) {
  try {
    DataReader r(path);
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

}  // namespace

TEST_CASE("data file: write then read back rows - labels - ids - class names - history") {
  ScratchDir dir;
  write_images(dir / "a.h5", 50);
  DataReader r(dir / "a.h5");
  CHECK(r.modality() == Modality::image);
  CHECK(r.size() == 50);
  std::vector<uint8_t> buf(3 * 12);
  r.read<uint8_t>("/images", 20, 3, buf.data());
  CHECK(buf[0] == 20);
  CHECK(buf[12] == 21);
  CHECK(buf[35] == 22);
  auto labels = r.labels();
  CHECK(labels[4] == 1);
  CHECK(r.ids()[7] == 107);
  CHECK(r.class_names() == std::vector<std::string>{"a", "b", "c"});
  CHECK(r.history() == std::vector<std::string>{"test"});
  auto info = r.info("/images");
  CHECK(info.shape == std::vector<hsize_t>{50, 4, 3, 1});
  REQUIRE(info.chunk.size() == 4);
  CHECK(info.chunk[0] >= 1);
  CHECK(info.chunk[1] == 4);
}

TEST_CASE("data file: no output appears without commit - and none is left behind") {
  ScratchDir dir;
  {
    DataWriter w(dir / "x.h5", Modality::image);
    w.create("/images", DType::u8, {2, 2, 1});
  }
  CHECK_FALSE(std::filesystem::exists(dir / "x.h5"));
  CHECK(std::filesystem::is_empty(dir.path));
}

TEST_CASE("data file: commit refuses mismatched N") {
  ScratchDir dir;
  DataWriter w(dir / "x.h5", Modality::image);
  w.create("/images", DType::u8, {1, 1, 1});
  w.create("/labels", DType::i32, {});
  uint8_t px = 1;
  w.append("/images", &px, 1);
  CHECK_THROWS_AS(w.commit(), Error);
}

TEST_CASE("data file: files without labels or ids read as unlabeled - ids 0..N-1") {
  ScratchDir dir;
  {
    DataWriter w(dir / "e.h5", Modality::embedding);
    w.create("/embeddings", DType::f32, {2});
    std::vector<float> v{1, 2, 3, 4};
    w.append("/embeddings", v);
    w.commit();
  }
  DataReader r(dir / "e.h5");
  CHECK(r.labels() == std::vector<int32_t>{-1, -1});
  CHECK(r.ids() == std::vector<int64_t>{0, 1});
  std::vector<float> back(4);
  r.read<float>("/embeddings", 0, 2, back.data());
  CHECK(back[3] == 4.0f);
}

TEST_CASE("data file: reading with the wrong type is an error - not garbage") {
  ScratchDir dir;
  write_images(dir / "a.h5", 2);
  DataReader r(dir / "a.h5");
  std::vector<float> f(12);
  CHECK_THROWS_AS(r.read<float>("/images", 0, 1, f.data()), Error);
}

TEST_CASE("data file: schema problems are one clear line each") {
  ScratchDir dir;
  SUBCASE("missing file") { CHECK(error_of(dir / "nope.h5").find("No such file") != std::string::npos); }
  SUBCASE("not HDF5") {
    std::ofstream(dir / "t.h5") << "hello, not hdf5\n";
    CHECK(error_of(dir / "t.h5").find("not an HDF5 file") != std::string::npos);
  }
  SUBCASE("empty file") {
    std::ofstream(dir / "t.h5");
    CHECK(error_of(dir / "t.h5").find("empty file") != std::string::npos);
  }
  SUBCASE("truncated") {
    write_images(dir / "a.h5", 200);
    auto size = std::filesystem::file_size(dir / "a.h5");
    std::filesystem::resize_file(dir / "a.h5", size / 2);
    std::string e = error_of(dir / "a.h5");
    CHECK(e.find("truncated") != std::string::npos);
  }
  SUBCASE("HDF5 without the format attribute") {
    { RawFile f(dir / "t.h5"); f.dataset("images", H5T_STD_U8LE, {2, 2, 2, 1}); }
    CHECK(error_of(dir / "t.h5").find("not an SSL-HDF5 file") != std::string::npos);
  }
  SUBCASE("unknown version") {
    {
      RawFile f(dir / "t.h5");
      set_attr_string(f.f, "format", "sslkit");
      set_attr_int(f.f, "format_version", 2);
      set_attr_string(f.f, "modality", "image");
    }
    CHECK(error_of(dir / "t.h5").find("unknown format version 2") != std::string::npos);
  }
  auto sslkit_file = [&](const std::string& modality) {
    auto f = std::make_unique<RawFile>(dir / "t.h5");
    set_attr_string(f->f, "format", "sslkit");
    set_attr_int(f->f, "format_version", 1);
    set_attr_string(f->f, "modality", modality);
    return f;
  };
  SUBCASE("unknown modality") {
    sslkit_file("smell");
    CHECK(error_of(dir / "t.h5").find("unknown modality 'smell'") != std::string::npos);
  }
  SUBCASE("missing dataset") {
    sslkit_file("image");
    CHECK(error_of(dir / "t.h5").find("missing dataset /images or /views") != std::string::npos);
  }
  SUBCASE("wrong dtype") {
    { auto f = sslkit_file("image"); f->dataset("images", H5T_IEEE_F32LE, {2, 2, 2, 1}); }
    CHECK(error_of(dir / "t.h5").find("/images: expected uint8, found float32") != std::string::npos);
  }
  SUBCASE("wrong rank") {
    { auto f = sslkit_file("image"); f->dataset("images", H5T_STD_U8LE, {2, 4}); }
    CHECK(error_of(dir / "t.h5").find("/images: expected rank 4") != std::string::npos);
  }
  SUBCASE("mismatched N") {
    {
      auto f = sslkit_file("image");
      f->dataset("images", H5T_STD_U8LE, {3, 2, 2, 1});
      f->dataset("labels", H5T_STD_I32LE, {4});
    }
    std::string e = error_of(dir / "t.h5");
    CHECK(e.find("/images has 3 rows but /labels has 4 rows") != std::string::npos);
  }
  SUBCASE("bad channel count") {
    { auto f = sslkit_file("image"); f->dataset("images", H5T_STD_U8LE, {3, 2, 2, 2}); }
    CHECK(error_of(dir / "t.h5").find("expected 1 or 3 channels") != std::string::npos);
  }
  SUBCASE("model file given as data") {
    { RawFile f(dir / "t.h5"); set_attr_string(f.f, "format", "sslkit-model"); }
    CHECK(error_of(dir / "t.h5").find("is a model file") != std::string::npos);
  }
}
