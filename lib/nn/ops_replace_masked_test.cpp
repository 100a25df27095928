// replace_masked: the embedding at masked rows, gradients to x and to it.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"
#include "nn/test_util.hpp"

using namespace sslkit;
using namespace sslkit::nn;
using sslkit::nn::testing::check_backward_adds;

TEST_CASE("replace_masked puts the embedding at masked rows with gradients to x and emb") {
  init_engine();
  const std::vector<uint8_t> mask{1, 0, 0, 1, 1, 0};
  Tensor x = random_tensor({2, 3, 4}, 10), e = random_tensor({4}, 11);
  {
    NoGrad ng;
    auto y = replace_masked(Var(x), mask, Var(e)).value().to_vector();
    for (int r = 0; r < 6; ++r)
      for (int d = 0; d < 4; ++d) CHECK(y[r * 4 + d] == (mask[r] ? e.f32()[d] : x.f32()[r * 4 + d]));
  }
  auto rc = grad_check([&](const std::vector<Var>& v) { return replace_masked(v[0], mask, v[1]); }, {x, e}, 1e-2);
  INFO(rc.worst);
  CHECK(rc.max_error < 1e-4);
  // bf16 activations keep their dtype; the embedding stays f32.
  NoGrad ng;
  CHECK(replace_masked(Var(x.to(DType::bf16)), mask, Var(e)).dtype() == DType::bf16);
  CHECK_THROWS_AS(replace_masked(Var(x), mask, Var(e.to(DType::bf16))), Error);
  CHECK_THROWS_AS(replace_masked(Var(x), {1, 0}, Var(e)), Error);
}

TEST_CASE("replace_masked adds into gradients its inputs already hold") {
  init_engine();
  Tensor x = random_tensor({2, 3, 4}, 14), g = random_tensor({4}, 15, 0.5, 1.5);
  check_backward_adds([](const std::vector<Var>& v) { return replace_masked(v[0], {1, 0, 0, 1, 1, 0}, v[1]); },
                      {x, g});
}
