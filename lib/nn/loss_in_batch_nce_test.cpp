#include <doctest/doctest.h>

#include <cmath>

#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"

using namespace sslkit::nn;

namespace {

// SimCSE's loss in double precision: cross-entropy of cos(a_i, b_j) / t
// over j with target i, averaged over i.
double in_batch_ref(const Tensor& a, const Tensor& b, double t) {
  const int64_t N = a.dim(0), D = a.dim(1);
  auto unit = [&](const Tensor& z, int64_t i) {
    std::vector<double> u(D);
    double s = 0;
    for (int64_t d = 0; d < D; ++d) s += (u[d] = z.f32()[i * D + d]) * u[d];
    for (auto& v : u) v /= std::sqrt(s);
    return u;
  };
  double loss = 0;
  for (int64_t i = 0; i < N; ++i) {
    const auto ui = unit(a, i);
    double z = 0, pos = 0;
    for (int64_t j = 0; j < N; ++j) {
      const auto uj = unit(b, j);
      double c = 0;
      for (int64_t d = 0; d < D; ++d) c += ui[d] * uj[d];
      z += std::exp(c / t);
      if (i == j) pos = c / t;
    }
    loss += std::log(z) - pos;
  }
  return loss / N;
}

}  // namespace

TEST_CASE("in_batch_info_nce matches SimCSE's definition in double precision") {
  init_engine();
  Tensor a = random_tensor({6, 5}, 1), b = random_tensor({6, 5}, 2);
  NoGrad ng;
  for (float t : {0.05f, 0.2f, 1.0f})
    CHECK(in_batch_info_nce(Var(a), Var(b), t).value().item() == doctest::Approx(in_batch_ref(a, b, t)).epsilon(1e-5));
  // One direction only: swapping the views is another loss.
  CHECK(in_batch_info_nce(Var(a), Var(b), 0.5f).value().item() !=
        doctest::Approx(in_batch_info_nce(Var(b), Var(a), 0.5f).value().item()).epsilon(1e-6));
}

TEST_CASE("in_batch_info_nce gradients match finite differences") {
  init_engine();
  auto r = grad_check([](const std::vector<Var>& v) { return in_batch_info_nce(v[0], v[1], 0.5f); },
                      {random_tensor({4, 6}, 3), random_tensor({4, 6}, 4)}, 1e-3);
  INFO(r.worst);
  CHECK(r.max_error < 2e-3);
  MESSAGE("in_batch_info_nce max gradient-check error " << r.max_error);
}

TEST_CASE("in_batch_info_nce is lower when the views agree and log N when every score is equal") {
  init_engine();
  Tensor a = random_tensor({8, 16}, 5);
  NoGrad ng;
  const float same = in_batch_info_nce(Var(a), Var(a), 0.05f).value().item();
  const float other = in_batch_info_nce(Var(a), Var(random_tensor({8, 16}, 6)), 0.05f).value().item();
  CHECK(same < other);
  // Every row the same vector: all scores equal, the loss is log N.
  Tensor ones = Tensor::full({8, 4}, 1.f);
  CHECK(in_batch_info_nce(Var(ones), Var(ones), 0.05f).value().item() == doctest::Approx(std::log(8.0)).epsilon(1e-5));
}
