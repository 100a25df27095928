// scale_mask_keys: values against a loop (f32 and bf16), gradients by finite
// differences with and without a mask, masked keys get no gradient, and
// softmax after it gives padding keys exactly zero weight.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "nn/ops.hpp"
#include "nn/test_util.hpp"

using namespace sslkit;
using namespace sslkit::nn;
using sslkit::nn::testing::check_grad;

namespace {
// 2 sequences x 2 heads, T = 3: sequence 0 has its last key padded,
// sequence 1 none.
const std::vector<uint8_t> kMask = {0, 0, 1, 0, 0, 0};
}  // namespace

TEST_CASE("scale_mask_keys scales every score and fills padded keys") {
  for (DType dt : {DType::f32, DType::bf16}) {
    Tensor s = random_tensor({4, 3, 3}, 7);
    Tensor y = scale_mask_keys(Var(s.to(dt)), 0.5f, kMask).value().to(DType::f32);
    for (int64_t r = 0; r < 4; ++r)
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t c = 0; c < 3; ++c) {
          const int64_t at = (r * 3 + i) * 3 + c;
          const bool masked = r < 2 && c == 2;  // rows 0-1 are sequence 0's two heads
          if (masked)
            CHECK(y.f32()[at] == doctest::Approx(-1e9).epsilon(0.01));
          else
            CHECK(y.f32()[at] == doctest::Approx(0.5 * s.f32()[at]).epsilon(dt == DType::f32 ? 1e-6 : 1e-2));
        }
  }
}

TEST_CASE("scale_mask_keys gradients match finite differences and skip padded keys") {
  check_grad([](const std::vector<Var>& v) { return scale_mask_keys(v[0], 0.25f, {}); }, {random_tensor({2, 3, 3}, 3)},
             1e-3);
  check_grad([](const std::vector<Var>& v) { return softmax(scale_mask_keys(v[0], 0.25f, kMask)); },
             {random_tensor({4, 3, 3}, 4)}, 1e-3);
  Var x(random_tensor({4, 3, 3}, 5), true);
  sum(scale_mask_keys(x, 2.0f, kMask)).backward();
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t c = 0; c < 3; ++c)
        CHECK(x.grad().f32()[(r * 3 + i) * 3 + c] == (r < 2 && c == 2 ? 0.0f : 2.0f));
}

TEST_CASE("softmax after scale_mask_keys gives padded keys no weight and all-padding rows equal weights") {
  Tensor p = softmax(scale_mask_keys(Var(random_tensor({4, 3, 3}, 6)), 1.0f, kMask)).value();
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t i = 0; i < 3; ++i) CHECK(p.f32()[(r * 3 + i) * 3 + 2] == 0.0f);
  const std::vector<uint8_t> all = {1, 1, 1, 0, 0, 0};
  Tensor q = softmax(scale_mask_keys(Var(random_tensor({4, 3, 3}, 8)), 1.0f, all)).value();
  for (int64_t c = 0; c < 3; ++c) CHECK(q.f32()[c] == doctest::Approx(1.0 / 3));
}

TEST_CASE("scale_mask_keys rejects scores and masks that do not fit") {
  CHECK_THROWS_AS(scale_mask_keys(Var(random_tensor({4, 3, 2}, 1)), 1.0f, {}), Error);
  CHECK_THROWS_AS(scale_mask_keys(Var(random_tensor({4, 3, 3}, 1)), 1.0f, {0, 0, 1, 0}), Error);
  CHECK_THROWS_AS(scale_mask_keys(Var(random_tensor({3, 3, 3}, 1)), 1.0f, kMask), Error);
}
