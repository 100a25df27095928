// MoCo across the 2 ranks of run_mpi.sh against one process that holds the
// whole batch: each rank's loss is InfoNCE of its own rows against the shared
// queue, so the ranks' average is one process's loss, and after the step every
// rank's queue holds the whole batch's keys in batch order, as one process's
// does. The encoder is a ViT (layer norm): no batch statistic differs per rank.
// One process's keys and loss are computed from the model's own key encoder
// and projectors, since loss() itself gathers whenever there are ranks.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/dist.hpp"
#include "methods/method.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"

using namespace sslkit;

namespace {

// A queue of 8 at 6 rows a step (3 a rank): the second step wraps mid-batch.
constexpr int64_t kQueue = 8, kDim = 8, kRows = 3;

std::unique_ptr<methods::Method> vit_moco() {
  methods::MethodParams p;
  p.arch = "vit-mini:depth=2";
  p.hidden_dim = 16;
  p.proj_dim = kDim;
  p.queue = kQueue;
  Rng rng(5);
  return methods::make_method("moco", p, rng);
}

nn::Tensor rows_of(const nn::Tensor& t, int64_t from, int64_t n) {
  const int64_t per = t.numel() / t.dim(0);
  nn::Shape s = t.shape();
  s[0] = n;
  nn::Tensor b(s, nn::DType::f32);
  for (int64_t i = 0; i < n * per; ++i) b.f32()[i] = t.f32()[from * per + i];
  return b;
}

nn::Tensor& queue_of(methods::Method& m) {
  for (auto& [n, t] : m.named_buffers())
    if (n == "queue") return *t;
  FAIL("no queue buffer");
  throw;
}

}  // namespace

TEST_CASE("moco mpi: the ranks' losses average to one process's, and every rank enqueues the whole batch's keys") {
  const int k = dist::size(), me = dist::rank();
  const int64_t whole = k * kRows;
  auto m = vit_moco();  // the same weights and starting queue on every rank
  auto targets = m->ema_targets();
  auto* key_enc = dynamic_cast<models::Encoder*>(targets.at(0));
  auto* key_proj = dynamic_cast<nn::MLP*>(targets.at(1));
  REQUIRE(key_enc);
  REQUIRE(key_proj);
  int64_t slot = 0;  // where one process's next keys go
  for (int step = 0; step < 2; ++step) {
    const nn::Tensor v0 = nn::random_tensor({whole, 8, 8, 1}, 30 + step), v1 = nn::random_tensor({whole, 8, 8, 1}, 40 + step);
    const nn::Tensor before = queue_of(*m).clone();
    // One process: all rows' queries and keys against the queue before the step.
    nn::Tensor keys;
    float want;
    {
      nn::NoGrad ng;
      keys = nn::l2_normalize(key_proj->forward(key_enc->forward(nn::Var(v1)))).value();
      nn::Var q = m->project(m->encoder().forward(nn::Var(v0)));
      want = nn::info_nce(q, nn::Var(keys), before, 0.2f).value().item();
    }
    // This rank: its slice only.
    methods::Batch b;
    b.views = {nn::Var(rows_of(v0, me * kRows, kRows)), nn::Var(rows_of(v1, me * kRows, kRows))};
    double got = m->loss(b).value().item();
    dist::allreduce_sum(&got, 1);
    CHECK(got / k == doctest::Approx(want).epsilon(1e-5));
    m->after_step(0);
    // The queue: the whole batch's keys from the slot on (wrapping), the
    // other rows as they were; and the same on every rank.
    const nn::Tensor& after = queue_of(*m);
    float worst = 0;
    for (int64_t i = 0; i < kQueue; ++i) {
      const int64_t row = (i - slot + kQueue) % kQueue;  // the batch row written at queue row i
      for (int64_t j = 0; j < kDim; ++j) {
        const float w = row < whole ? keys.f32()[row * kDim + j] : before.f32()[i * kDim + j];
        worst = std::max(worst, std::abs(after.f32()[i * kDim + j] - w));
      }
    }
    CHECK(worst < 1e-5f);
    std::vector<float> all(static_cast<size_t>(k * after.numel()));
    dist::allgather(after.f32(), static_cast<size_t>(after.numel()), all.data());
    int64_t differ = 0;
    for (int r = 1; r < k; ++r)
      for (int64_t i = 0; i < after.numel(); ++i) differ += all[r * after.numel() + i] != all[i];
    CHECK(differ == 0);
    slot = (slot + whole) % kQueue;
  }
  for (auto& idx : m->named_indices())
    if (idx.name == "queue_ptr") CHECK(*idx.value == slot);
}
