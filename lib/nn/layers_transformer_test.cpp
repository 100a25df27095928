// Transformer modules: forward against a double-precision re-computation
// from the modules' own weights (with and without a key padding mask),
// finite-difference gradients w.r.t. the input and some parameters, and
// deep copies.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/layers_transformer.hpp"

using namespace sslkit;
using namespace sslkit::nn;

namespace {

using Vec = std::vector<double>;

Vec vec(const Tensor& t) {
  auto f = t.to_vector();
  return Vec(f.begin(), f.end());
}

// x [R,K] -> [R,O] with a Linear's weight [O,K] and bias [O].
Vec linear_ref(const Vec& x, int64_t R, const Linear& l) {
  const int64_t O = l.weight.shape()[0], K = l.weight.shape()[1];
  Vec w = vec(l.weight.value()), b = vec(l.bias.value()), y(R * O);
  for (int64_t r = 0; r < R; ++r)
    for (int64_t o = 0; o < O; ++o) {
      double s = b[o];
      for (int64_t k = 0; k < K; ++k) s += x[r * K + k] * w[o * K + k];
      y[r * O + o] = s;
    }
  return y;
}

Vec layernorm_ref(const Vec& x, int64_t R, const LayerNorm& ln) {
  Vec g = vec(ln.weight.value()), b = vec(ln.bias.value()), y(x.size());
  const int64_t C = static_cast<int64_t>(g.size());
  for (int64_t r = 0; r < R; ++r) {
    double m = 0, v = 0;
    for (int64_t c = 0; c < C; ++c) m += x[r * C + c] / C;
    for (int64_t c = 0; c < C; ++c) v += (x[r * C + c] - m) * (x[r * C + c] - m) / C;
    for (int64_t c = 0; c < C; ++c) y[r * C + c] = (x[r * C + c] - m) / std::sqrt(v + ln.eps) * g[c] + b[c];
  }
  return y;
}

// Attention of x [B,T,D]; masked keys (mask[b*T+t] != 0) get no weight.
Vec attention_ref(const Vec& x, int64_t B, int64_t T, const MultiHeadAttention& a, const std::vector<uint8_t>& mask) {
  const int64_t D = a.q.weight.shape()[0], H = a.heads, dh = D / H;
  Vec q = linear_ref(x, B * T, a.q), k = linear_ref(x, B * T, a.k), v = linear_ref(x, B * T, a.v), ctx(B * T * D, 0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < T; ++i) {
        Vec p(T);
        double mx = -INFINITY, z = 0;
        for (int64_t j = 0; j < T; ++j) {
          if (!mask.empty() && mask[b * T + j]) {
            p[j] = -INFINITY;
            continue;
          }
          double s = 0;
          for (int64_t d = 0; d < dh; ++d) s += q[(b * T + i) * D + h * dh + d] * k[(b * T + j) * D + h * dh + d];
          p[j] = s / std::sqrt(static_cast<double>(dh));
          mx = std::max(mx, p[j]);
        }
        for (auto& e : p) z += e = std::exp(e - mx);
        for (int64_t j = 0; j < T; ++j)
          for (int64_t d = 0; d < dh; ++d) ctx[(b * T + i) * D + h * dh + d] += p[j] / z * v[(b * T + j) * D + h * dh + d];
      }
  return linear_ref(ctx, B * T, a.out);
}

Vec block_ref(const Vec& x, int64_t B, int64_t T, const TransformerBlock& blk, const std::vector<uint8_t>& mask) {
  const int64_t R = B * T;
  Vec a = attention_ref(layernorm_ref(x, R, blk.ln1), B, T, blk.attn, mask), h(x.size());
  for (size_t i = 0; i < x.size(); ++i) h[i] = x[i] + a[i];
  Vec f = linear_ref(layernorm_ref(h, R, blk.ln2), R, blk.fc1);
  for (auto& e : f) e = 0.5 * e * (1 + std::erf(e / std::sqrt(2.0)));
  Vec m = linear_ref(f, R, blk.fc2), y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = h[i] + m[i];
  return y;
}

double max_diff(const Tensor& got, const Vec& want) {
  auto g = got.to_vector();
  REQUIRE(g.size() == want.size());
  double e = 0;
  for (size_t i = 0; i < g.size(); ++i) e = std::max(e, std::fabs(g[i] - want[i]));
  return e;
}

}  // namespace

TEST_CASE("attention and a transformer block match a double-precision re-computation") {
  init_engine();
  Rng rng(11);
  MultiHeadAttention attn(8, 2, rng);
  TransformerBlock block(8, 2, rng);
  // Non-trivial LayerNorm parameters so the reference sees them.
  block.ln1.weight = Var(random_tensor({8}, 30, 0.5f, 1.5f), true);
  block.ln2.bias = Var(random_tensor({8}, 31), true);
  Tensor x = random_tensor({2, 3, 8}, 12);
  NoGrad ng;
  Var ya = attn.forward(Var(x)), yb = block.forward(Var(x));
  CHECK(ya.shape() == Shape{2, 3, 8});
  CHECK(yb.shape() == Shape{2, 3, 8});
  CHECK(max_diff(ya.value(), attention_ref(vec(x), 2, 3, attn, {})) < 1e-5);
  CHECK(max_diff(yb.value(), block_ref(vec(x), 2, 3, block, {})) < 1e-4);
}

TEST_CASE("attention and a transformer block: shapes and input gradients") {
  init_engine();
  Rng rng(1);
  MultiHeadAttention attn(8, 2, rng);
  TransformerBlock block(8, 2, rng);
  Tensor x = random_tensor({2, 3, 8}, 2);  // batch 2, seq 3, dim 8, 2 heads
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
  MESSAGE("input gradient check: attention " << ra.max_error << ", block " << rb.max_error);
}

TEST_CASE("transformer block parameter gradients match finite differences") {
  init_engine();
  Rng rng(13);
  TransformerBlock block(8, 2, rng);
  Tensor x = random_tensor({2, 3, 8}, 14);
  // A shallow copy shares every parameter Var; swapping some for the checked
  // inputs makes them the variables of f.
  auto f = [&](const std::vector<Var>& v) {
    TransformerBlock b = block;
    b.attn.q.weight = v[1];
    b.attn.v.bias = v[2];
    b.ln1.weight = v[3];
    b.fc1.weight = v[4];
    return b.forward(v[0]);
  };
  auto r = grad_check(f,
                      {x, block.attn.q.weight.value(), block.attn.v.bias.value(), block.ln1.weight.value(),
                       block.fc1.weight.value()},
                      1e-2, {false, true, true, true, true});
  INFO(r.worst);
  CHECK(r.max_error < 3e-3);
  MESSAGE("parameter gradient check: block " << r.max_error);
}

TEST_CASE("attention with a key padding mask ignores the padded keys") {
  init_engine();
  Rng rng(15);
  MultiHeadAttention attn(8, 2, rng);
  TransformerBlock block(8, 2, rng);
  Tensor x = random_tensor({2, 3, 8}, 16);
  const std::vector<uint8_t> mask{0, 0, 1, 0, 1, 1};  // sequence 0 has 2 tokens, sequence 1 has 1
  {
    NoGrad ng;
    CHECK(max_diff(attn.forward(Var(x), mask).value(), attention_ref(vec(x), 2, 3, attn, mask)) < 1e-5);
    CHECK(max_diff(block.forward(Var(x), mask).value(), block_ref(vec(x), 2, 3, block, mask)) < 1e-4);
    // Changing a padded token leaves the real tokens' outputs alone.
    Tensor y = x.clone();
    for (int d = 0; d < 8; ++d) y.f32()[2 * 8 + d] += 3.f;  // sequence 0, token 2
    auto a = block.forward(Var(x), mask).value().to_vector(), b = block.forward(Var(y), mask).value().to_vector();
    for (int i = 0; i < 16; ++i) CHECK(a[i] == doctest::Approx(b[i]).epsilon(1e-6));
    CHECK_THROWS_AS(attn.forward(Var(x), {0, 1}), Error);
  }
  auto r = grad_check([&](const std::vector<Var>& v) { return block.forward(v[0], mask); }, {x}, 1e-2);
  INFO(r.worst);
  CHECK(r.max_error < 3e-3);
  MESSAGE("input gradient check with a mask: block " << r.max_error);
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
  {
    NoGrad ng;
    CHECK(block.forward(Var(x)).value().to_vector() == c.forward(Var(x)).value().to_vector());
  }
  CHECK(block.named_parameters().size() == 16);
  auto pa = block.parameters(), pc = c.parameters();
  REQUIRE(pa.size() == pc.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    CHECK(pa[i]->value().raw() != pc[i]->value().raw());
    CHECK(pa[i]->node() != pc[i]->node());
  }
  // Gradients through the copy land in the copy only.
  c.forward(Var(x)).backward(Tensor::full({1, 4, 8}, 1.f));
  CHECK(c.fc1.weight.grad().defined());
  CHECK(!block.fc1.weight.grad().defined());
  // And changing the copy leaves the original alone.
  c.fc1.weight.value().f32()[0] += 1;
  CHECK(block.fc1.weight.value().f32()[0] != c.fc1.weight.value().f32()[0]);
  NoGrad ng;
  CHECK(block.forward(Var(x)).value().to_vector() != c.forward(Var(x)).value().to_vector());
}

TEST_CASE("LayerNorm and Embedding modules hold PyTorch-default parameters") {
  init_engine();
  LayerNorm ln(6);
  CHECK(ln.named_parameters().size() == 2);
  for (float v : ln.weight.value().to_vector()) CHECK(v == 1.f);
  for (float v : ln.bias.value().to_vector()) CHECK(v == 0.f);
  Tensor x = random_tensor({3, 6}, 7);
  {
    NoGrad ng;
    CHECK(ln.forward(Var(x)).value().to_vector() == layernorm(Var(x), ln.weight, ln.bias).value().to_vector());
  }
  Rng rng(8);
  Embedding emb(1000, 16, rng);
  CHECK(emb.named_parameters().size() == 1);
  auto t = emb.table.value().to_vector();
  double m = 0, v = 0;
  for (float e : t) m += e / t.size();
  for (float e : t) v += (e - m) * (e - m) / t.size();
  // N(0,1): 16000 draws.
  CHECK(std::fabs(m) < 0.05);
  CHECK(std::fabs(v - 1) < 0.05);
  Var y = emb.forward({5, 999});
  CHECK(y.shape() == Shape{2, 16});
  CHECK(y.value().f32()[16] == t[999 * 16]);
  CHECK_THROWS_AS(emb.forward({1000}), Error);
}

TEST_CASE("attention rejects a width that does not split into heads") {
  Rng rng(9);
  CHECK_THROWS_AS(MultiHeadAttention(6, 4, rng), UsageError);
}
