#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <sys/stat.h>

#include "core/error.hpp"
#include "io/files.hpp"
#include "io/test_util.hpp"

using namespace sslkit;
using namespace sslkit::io;
using sslkit::testing::ScratchDir;

TEST_CASE("output file: appears only on commit - temp file gone either way") {
  ScratchDir dir;
  std::string path = dir / "out.bin";
  {
    OutputFile out(path);
    std::ofstream(out.temp_path()) << "data";
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK(std::filesystem::path(out.temp_path()).parent_path() == dir.path);
    out.commit();
  }
  CHECK(std::filesystem::exists(path));
  {
    OutputFile out(dir / "other.bin");
    std::ofstream(out.temp_path()) << "data";
  }
  CHECK_FALSE(std::filesystem::exists(dir / "other.bin"));
  int files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path)) ++files;
  CHECK(files == 1);
}

TEST_CASE("output file: a failed run never touches an existing output") {
  ScratchDir dir;
  std::string path = dir / "out.bin";
  std::ofstream(path) << "old";
  {
    OutputFile out(path);
    std::ofstream(out.temp_path()) << "new";
  }
  std::ifstream in(path);
  std::string s;
  in >> s;
  CHECK(s == "old");
}

TEST_CASE("check_not_an_input refuses to overwrite an input") {
  ScratchDir dir;
  std::string a = dir / "a.h5";
  std::ofstream(a) << "x";
  CHECK_THROWS_AS(check_not_an_input(a, {"b.h5", a}), UsageError);
  CHECK_NOTHROW(check_not_an_input(dir / "new.h5", {a}));
}

TEST_CASE("input file: a plain path is used as it is") {
  InputFile in("/some/path.h5");
  CHECK(in.path() == "/some/path.h5");
  CHECK(in.name() == "/some/path.h5");
}

TEST_CASE("input file: a named pipe is read once into a spool that every later opening of the path reads") {
  ScratchDir dir;
  const std::string fifo = dir / "pipe";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  std::thread writer([&] { std::ofstream(fifo, std::ios::binary) << "HDF5 bytes"; });
  std::string spool;
  {
    InputFile first(fifo);
    writer.join();
    spool = first.path();
    CHECK(spool != fifo);
    CHECK(first.name() == fifo);
    std::ifstream in(spool, std::ios::binary);
    CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "HDF5 bytes");
  }
  InputFile again(fifo);  // nobody writes the pipe again: the spool is kept
  CHECK(again.path() == spool);
  CHECK(sslkit::io::sha256_file(fifo) == sslkit::io::sha256_file(spool));
  remove_input_spools();
  CHECK_FALSE(std::filesystem::exists(spool));
}

TEST_CASE("sha256_file matches the published test vectors") {
  ScratchDir dir;
  const std::string p = dir / "abc";
  { std::ofstream(p) << "abc"; }
  // FIPS 180-2's example: SHA-256("abc").
  CHECK(sslkit::io::sha256_file(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  { std::ofstream(p, std::ios::trunc); }
  CHECK(sslkit::io::sha256_file(p) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK_THROWS_AS(sslkit::io::sha256_file(dir / "missing"), sslkit::Error);
}

TEST_CASE("temp files past the signal handler's slots are refused - not left unprotected") {
  std::vector<std::string> made;
  auto make_many = [&] {
    for (int i = 0; i < 100; ++i) made.push_back(io::make_temp("many"));
  };
  CHECK_THROWS_WITH_AS(make_many(), doctest::Contains("too many temp files"), Error);
  CHECK(made.size() == 64);
  for (auto& p : made) io::remove_temp(p);
  CHECK_NOTHROW(io::remove_temp(io::make_temp("again")));
}
