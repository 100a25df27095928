#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "augment/recipe.hpp"
#include "data/idx_source.hpp"
#include "data/import.hpp"
#include "io/data_file.hpp"
#include "io/test_util.hpp"
#include "nn/engine.hpp"
#include "batches/image_batches.hpp"

using namespace sslkit;

static const std::string kData = SSLKIT_DATA_DIR;

// The 120 labelled Fashion-MNIST samples of data/idx imported into dir.
static std::string import_fashion(const testing::ScratchDir& dir) {
  data::ImportOptions o;
  o.output = dir / "img.h5";
  data::IdxSource src(kData + "/idx/fashion-120-images-idx3-ubyte.gz", kData + "/idx/fashion-120-labels-idx1-ubyte.gz", "");
  data::run_import(src, o);
  return o.output;
}

TEST_CASE("image batches: the same views in any thread count - and a resumed source agrees") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(import_fashion(dir));
  batches::ImageBatchSpec spec;
  spec.batch = 16;
  spec.seed = 5;
  spec.recipe = augment::make_recipe("simclr", 0.5);
  spec.targets = in.labels();
  // The views are made by an OpenMP loop over the rows of the batch.
  auto batches = [&](int threads, int64_t first, int n) {
    const int before = omp_get_max_threads();
    omp_set_num_threads(threads);
    spec.first_step = first;
    batches::ImageBatches b(in, spec);
    std::vector<methods::Batch> out;
    for (int i = 0; i < n; ++i) out.push_back(b.next());
    omp_set_num_threads(before);
    return out;
  };
  auto serial = batches(1, 0, 9), parallel = batches(4, 0, 9), resumed = batches(4, 8, 1);
  for (int i = 0; i < 9; ++i) {
    CAPTURE(i);
    REQUIRE(serial[i].views.size() == 2);
    for (int v = 0; v < 2; ++v) {
      const nn::Tensor& a = serial[i].views[v].value();
      const nn::Tensor& t = parallel[i].views[v].value();
      CHECK(a.shape() == nn::Shape{16, 28, 28, 1});
      CHECK(std::equal(a.f32(), a.f32() + a.numel(), t.f32()));
    }
    CHECK(serial[i].pretext == parallel[i].pretext);
    CHECK(serial[i].pretext.size() == 16);
  }
  const nn::Tensor& a = serial[8].views[1].value();
  CHECK(std::equal(a.f32(), a.f32() + a.numel(), resumed[0].views[1].value().f32()));
  // Steps 0 and 8 are in different epochs (7 steps each): new views.
  CHECK(!std::equal(a.f32(), a.f32() + a.numel(), serial[0].views[1].value().f32()));
}

// --global-views adds full-size views to the --views crops (the help and
// docs/tools.md): G full-size views first, then V crops at view_size,
// also when G >= V (which once made every view full-size).
TEST_CASE("image batches: multi-crop - global views come on top of the crops - views and sizes counted") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(import_fashion(dir));
  struct Case {
    int crops, global;
  };
  for (Case c : {Case{4, 0}, Case{4, 2}, Case{2, 2}, Case{2, 3}}) {
    CAPTURE(c.crops);
    CAPTURE(c.global);
    batches::ImageBatchSpec spec;
    spec.batch = 4;
    spec.seed = 1;
    spec.views = c.crops;
    spec.view_size = 14;
    spec.global_views = c.global;
    spec.global_recipe = augment::make_recipe("crop(1,1,1,1)");
    spec.recipe = augment::make_recipe("crop(0.25,0.25,1,1)");
    batches::ImageBatches batches(in, spec);
    methods::Batch b = batches.next();
    REQUIRE(b.views.size() == static_cast<size_t>(c.crops + c.global));
    for (int v = 0; v < c.global; ++v) CHECK(b.views[v].value().shape() == nn::Shape{4, 28, 28, 1});
    for (int v = c.global; v < c.global + c.crops; ++v) CHECK(b.views[v].value().shape() == nn::Shape{4, 14, 14, 1});
  }
}

TEST_CASE("image batches: multi-crop - global views at the images' size with their recipe - crops at view_size") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(import_fashion(dir));
  batches::ImageBatchSpec spec;
  spec.batch = 8;
  spec.seed = 3;
  spec.norm = data::PixelNorm(0, 1);
  spec.views = 3;
  spec.view_size = 14;
  spec.global_views = 2;
  // The whole image, never flipped: the global views are the images themselves.
  spec.global_recipe = augment::make_recipe("crop(1,1,1,1)");
  // A quarter of the area at 14 x 14: windows of the image at its own scale.
  spec.recipe = augment::make_recipe("crop(0.25,0.25,1,1)");
  batches::ImageBatches batches(in, spec);
  methods::Batch b = batches.next();
  REQUIRE(b.views.size() == 5);
  CHECK(b.views[0].value().shape() == nn::Shape{8, 28, 28, 1});
  CHECK(b.views[1].value().shape() == nn::Shape{8, 28, 28, 1});
  for (int v = 2; v < 5; ++v) CHECK(b.views[v].value().shape() == nn::Shape{8, 14, 14, 1});
  const float* g0 = b.views[0].value().f32();
  const float* g1 = b.views[1].value().f32();
  CHECK(std::equal(g0, g0 + 8 * 784, g1));
  // Each crop is a 14 x 14 window of its image (the global view), pixel for pixel.
  for (int v = 2; v < 5; ++v)
    for (int r = 0; r < 8; ++r) {
      const float* crop = b.views[v].value().f32() + r * 196;
      const float* img = g0 + r * 784;
      bool found = false;
      for (int y0 = 0; y0 <= 14 && !found; ++y0)
        for (int x0 = 0; x0 <= 14 && !found; ++x0) {
          bool same = true;
          for (int y = 0; y < 14 && same; ++y)
            for (int x = 0; x < 14 && same; ++x) same = std::abs(crop[y * 14 + x] - img[(y0 + y) * 28 + x0 + x]) < 1e-5f;
          found = same;
        }
      CAPTURE(v);
      CAPTURE(r);
      CHECK(found);
    }
}

TEST_CASE("image batches: MAE patch masks hide exactly 3 of 4 patches per image - the same in a resumed source") {
  nn::init_engine();
  testing::ScratchDir dir;
  io::DataReader in(import_fashion(dir));
  batches::ImageBatchSpec spec;
  spec.batch = 8;
  spec.seed = 2;
  spec.views = 1;
  spec.recipe = augment::make_recipe("crop(0.2,1) flip(0.5)", 1.0);
  spec.patch_ratio = 0.75;
  batches::ImageBatches a(in, spec);
  std::vector<methods::Batch> run;
  for (int i = 0; i < 16; ++i) run.push_back(a.next());
  for (const auto& b : run) {
    REQUIRE(b.patch_mask.size() == 8 * 49);
    for (int r = 0; r < 8; ++r) {
      int hidden = 0;
      for (int l = 0; l < 49; ++l) hidden += b.patch_mask[r * 49 + l];
      CHECK(hidden == 49 - 12);  // MAE keeps int(49 * 0.25) = 12
    }
  }
  CHECK(run[0].patch_mask != run[15].patch_mask);
  spec.first_step = 15;
  batches::ImageBatches resumed(in, spec);
  CHECK(resumed.next().patch_mask == run[15].patch_mask);
  spec.patch = 5;  // 28 is not a multiple of 5
  CHECK_THROWS_AS(batches::ImageBatches(in, spec), UsageError);
}
