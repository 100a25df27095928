#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include "core/error.hpp"
#include "data/idx_source.hpp"
#include "io/test_util.hpp"

using namespace sslkit;
using namespace sslkit::data;
using sslkit::testing::ScratchDir;

static const std::string kData = SSLKIT_DATA_DIR;

TEST_CASE("idx: gzipped Fashion-MNIST sample with labels imports exactly") {
  ScratchDir dir;
  IdxSource src(kData + "/idx/fashion-120-images-idx3-ubyte.gz", kData + "/idx/fashion-120-labels-idx1-ubyte.gz");
  CHECK(src.size() == 120);
  CHECK(src.height() == 28);
  CHECK(src.channels() == 1);
  CHECK(src.labels().size() == 120);
  CHECK(src.labels()[0] == 9);  // the first Fashion-MNIST training image is an ankle boot
  ImportOptions o;
  o.output = dir / "out.h5";
  o.shuffle = true;
  o.seed = 4;
  auto written = run_import(src, o);
  CHECK(written == std::vector<size_t>{120});
  io::DataReader r(o.output);
  auto ids = r.ids();
  auto labels = r.labels();
  // Shuffled: ids are a permutation, and each label still matches its id.
  std::vector<int64_t> sorted = ids, identity(120);
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 120; ++i) identity[i] = i;
  CHECK(sorted == identity);
  CHECK(ids != identity);
  for (size_t i = 0; i < ids.size(); ++i) CHECK(labels[i] == src.labels()[ids[i]]);
}

TEST_CASE("idx: uncompressed file without labels is unlabeled and pixels are the file's bytes") {
  ScratchDir dir;
  std::string path = kData + "/idx/fashion-20-images-idx3-ubyte";
  IdxSource src(path);
  ImportOptions o;
  o.output = dir / "out.h5";
  run_import(src, o);
  io::DataReader r(o.output);
  CHECK(r.size() == 20);
  CHECK(r.labels() == std::vector<int32_t>(20, -1));
  std::vector<uint8_t> img(784), raw(784);
  r.read<uint8_t>("/images", 7, 1, img.data());
  std::ifstream in(path, std::ios::binary);
  in.seekg(16 + 7 * 784);
  in.read(reinterpret_cast<char*>(raw.data()), 784);
  CHECK(img == raw);
}

TEST_CASE("idx: bad files are errors naming the file") {
  ScratchDir dir;
  std::ofstream(dir / "junk") << "not an idx file at all";
  CHECK_THROWS_WITH_AS(IdxSource(dir / "junk"), doctest::Contains("not an IDX file"), Error);
  // A header promising more bytes than the file has.
  {
    std::ofstream f(dir / "short", std::ios::binary);
    const unsigned char hdr[] = {0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3};
    f.write(reinterpret_cast<const char*>(hdr), sizeof hdr);
  }
  CHECK_THROWS_WITH_AS(IdxSource(dir / "short"), doctest::Contains("truncated"), Error);
  CHECK_THROWS_AS(IdxSource(dir / "missing"), Error);
  // Labels that do not match the image count.
  CHECK_THROWS_WITH_AS(IdxSource(kData + "/idx/fashion-20-images-idx3-ubyte",
                                 kData + "/idx/fashion-120-labels-idx1-ubyte.gz"),
                       doctest::Contains("120 labels for 20 images"), Error);
}
