// MoCo's queue pointer in model files: an int64 under /state, and a float
// buffer from a model file written before that still loads and resumes at
// the slot it names.
#include <doctest/doctest.h>

#include <vector>

#include "core/error.hpp"
#include "io/model_file.hpp"
#include "io/test_util.hpp"
#include "methods/method.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "train/checkpoint.hpp"

using namespace sslkit;

namespace {

constexpr int64_t kQueue = 16, kDim = 8, kBatch = 4;

std::unique_ptr<methods::Method> small_moco(uint64_t seed) {
  methods::MethodParams p;
  p.hidden_dim = 16;
  p.proj_dim = kDim;
  p.queue = kQueue;
  Rng rng(seed);
  return methods::make_method("moco", p, rng);
}

// One MoCo step's queue update: the keys of a batch of kBatch images.
void step(methods::Method& m) {
  methods::Batch b;
  for (int v = 0; v < 2; ++v) b.views.emplace_back(nn::random_tensor({kBatch, 8, 8, 1}, 7 + v));
  m.loss(b);
  m.after_step(0);
}

nn::Tensor& buffer(methods::Method& m, const std::string& name) {
  for (auto& [n, t] : m.named_buffers())
    if (n == name) return *t;
  FAIL("no buffer " << name);
  throw;
}

// Which queue rows differ between two copies of the queue.
std::vector<int64_t> changed_rows(const nn::Tensor& a, const nn::Tensor& b) {
  std::vector<int64_t> rows;
  for (int64_t i = 0; i < kQueue; ++i)
    for (int64_t j = 0; j < kDim; ++j)
      if (a.f32()[i * kDim + j] != b.f32()[i * kDim + j]) {
        rows.push_back(i);
        break;
      }
  return rows;
}

// A model file as sslkit wrote them before the pointer became an integer:
// every parameter and buffer as float32, the pointer a float buffer [1].
void write_old_style(const std::string& path, methods::Method& m, float pointer) {
  io::ModelWriter w(path, io::Commit::now);
  w.set_config("{}");
  for (auto& [name, p] : m.named_parameters()) w.tensor("params", name, p->value().shape(), p->value().f32());
  for (auto& [name, b] : m.named_buffers())
    if (name != "queue_ptr") w.tensor("buffers", name, b->shape(), b->f32());
  w.tensor("buffers", "queue_ptr", {1}, &pointer);
  w.ints("step", {3});
  w.ints("epoch", {0});
  w.commit();
}

}  // namespace

TEST_CASE("moco: the queue pointer is saved as an integer under /state") {
  nn::init_engine();
  testing::ScratchDir dir;
  auto m = small_moco(1);
  step(*m);
  step(*m);
  train::save_checkpoint(dir / "m.h5", *m, {});
  io::ModelReader r(dir / "m.h5");
  REQUIRE(r.has("state", "queue_ptr"));
  CHECK(r.ints("queue_ptr") == std::vector<int64_t>{2 * kBatch});
  CHECK_FALSE(r.has("buffers", "queue_ptr"));

  // Loaded back, the next keys go to the slot after those.
  auto again = small_moco(2);
  train::load_checkpoint(dir / "m.h5", *again);
  const nn::Tensor before = buffer(*again, "queue").clone();
  step(*again);
  CHECK(changed_rows(before, buffer(*again, "queue")) == std::vector<int64_t>{8, 9, 10, 11});
}

TEST_CASE("moco: a model file with the old float queue pointer loads and resumes at its slot") {
  nn::init_engine();
  testing::ScratchDir dir;
  auto m = small_moco(1);
  write_old_style(dir / "old.h5", *m, 13.0f);
  auto resumed = small_moco(2);
  train::load_checkpoint(dir / "old.h5", *resumed);
  const nn::Tensor before = buffer(*resumed, "queue").clone();
  step(*resumed);
  // 13, 14, 15, then around to 0.
  CHECK(changed_rows(before, buffer(*resumed, "queue")) == std::vector<int64_t>{0, 13, 14, 15});
  train::save_checkpoint(dir / "new.h5", *resumed, {});
  io::ModelReader r(dir / "new.h5");
  REQUIRE(r.has("state", "queue_ptr"));
  CHECK(r.ints("queue_ptr") == std::vector<int64_t>{1});
}

TEST_CASE("moco: an old float queue pointer that names no slot is an error naming the file") {
  nn::init_engine();
  testing::ScratchDir dir;
  auto m = small_moco(1);
  for (float bad : {2.5f, -1.0f, static_cast<float>(kQueue)}) {
    CAPTURE(bad);
    write_old_style(dir / "bad.h5", *m, bad);
    auto again = small_moco(2);
    CHECK_THROWS_WITH_AS(train::load_checkpoint(dir / "bad.h5", *again),
                         doctest::Contains("bad.h5: buffers/queue_ptr"), Error);
  }
}
