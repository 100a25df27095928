#include <doctest/doctest.h>

#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/layers_transformer.hpp"

using namespace sslkit;
using namespace sslkit::nn;

TEST_CASE("attention and a transformer block: shapes and input gradients") {
  init_engine();
  Rng rng(1);
  MultiHeadAttention attn(8, 2, rng);
  TransformerBlock block(8, 2, rng);
  Tensor x = random_tensor({2, 3, 8}, 2);
  {
    NoGrad ng;
    CHECK(attn.forward(Var(x)).shape() == Shape{2, 3, 8});
    CHECK(block.forward(Var(x)).shape() == Shape{2, 3, 8});
  }
  auto ra = grad_check([&](const std::vector<Var>& v) { return attn.forward(v[0]); }, {x}, 1e-2);
  INFO(ra.worst);
  CHECK(ra.max_error < 3e-3);
  auto rb = grad_check([&](const std::vector<Var>& v) { return block.forward(v[0]); }, {x}, 1e-2);
  INFO(rb.worst);
  CHECK(rb.max_error < 3e-3);
}

TEST_CASE("attention mixes positions: changing one token changes the others' outputs") {
  init_engine();
  Rng rng(3);
  MultiHeadAttention attn(4, 1, rng);
  Tensor x = random_tensor({1, 3, 4}, 4);
  NoGrad ng;
  auto a = attn.forward(Var(x)).value().to_vector();
  Tensor y = x.clone();
  y.f32()[2 * 4] += 1.0f;  // the last token
  auto b = attn.forward(Var(y)).value().to_vector();
  CHECK(a[0] != b[0]);  // the first token's output moved
}

TEST_CASE("a deep copy of a transformer block computes the same with its own parameters") {
  init_engine();
  Rng rng(5);
  TransformerBlock block(8, 2, rng);
  auto copy = block.clone();
  auto& c = static_cast<TransformerBlock&>(*copy);
  Tensor x = random_tensor({1, 4, 8}, 6);
  NoGrad ng;
  CHECK(block.forward(Var(x)).value().to_vector() == c.forward(Var(x)).value().to_vector());
  c.fc1.weight.value().f32()[0] += 1;
  CHECK(block.fc1.weight.value().f32()[0] != c.fc1.weight.value().f32()[0]);
  CHECK(block.named_parameters().size() == 16);
}
