#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "io/output_dir.hpp"
#include "io/test_util.hpp"

using namespace sslkit;
using namespace sslkit::io;
using sslkit::testing::ScratchDir;
namespace fs = std::filesystem;

namespace {
size_t entries(const fs::path& p) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(p)) ++n;
  return n;
}
}  // namespace

TEST_CASE("output dir: appears whole at commit - nothing at all without it") {
  ScratchDir dir;
  {
    OutputDir out(dir / "export", false);
    out.write("a.txt", std::string("a"));
    CHECK_FALSE(fs::exists(dir / "export"));
  }
  CHECK(entries(dir.path) == 0);  // neither the directory nor its temp
  {
    OutputDir out(dir / "export/", false);
    out.write("a.txt", std::string("a"));
    out.write("b.bin", std::vector<uint8_t>{1, 2});
    out.commit();
  }
  CHECK(entries(dir.path) == 1);
  CHECK(entries(dir / "export") == 2);
  CHECK(fs::file_size(dir / "export/b.bin") == 2);
}

TEST_CASE("output dir: an empty directory is written into - a full one only replaced when asked") {
  ScratchDir dir;
  fs::create_directory(dir / "empty");
  {
    OutputDir out(dir / "empty", false);
    out.write("new.txt", std::string("x"));
    out.commit();
  }
  CHECK(fs::exists(dir / "empty/new.txt"));
  CHECK_THROWS_WITH_AS(OutputDir(dir / "empty", false), doctest::Contains("exists and is not empty"), UsageError);
  {
    OutputDir out(dir / "empty", true);
    out.write("other.txt", std::string("y"));
    out.commit();
  }
  CHECK(fs::exists(dir / "empty/other.txt"));
  CHECK_FALSE(fs::exists(dir / "empty/new.txt"));
  CHECK(entries(dir.path) == 1);  // no old or temp directory left
}

TEST_CASE("output dir: refuses stdout - a file - a missing folder - and replacing what holds an input") {
  ScratchDir dir;
  std::ofstream(dir / "m.h5") << "model";
  CHECK_THROWS_AS(OutputDir("-", false), UsageError);
  CHECK_THROWS_WITH_AS(OutputDir(dir / "m.h5", true), doctest::Contains("is not a directory"), UsageError);
  CHECK_THROWS_WITH_AS(OutputDir(dir / "no/out", false), doctest::Contains("no such folder"), UsageError);
  CHECK_THROWS_WITH_AS(OutputDir(dir.path.string(), true, {dir / "m.h5"}), doctest::Contains("holds the input"),
                       UsageError);
  CHECK(fs::exists(dir / "m.h5"));
}
