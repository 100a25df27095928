// TransformerStack: pre- and post-LN blocks with the shape's epsilon,
// against a plain double-precision reference written from the definitions
// (BERT's post-LN, our pre-LN), and finite-difference gradients.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "models/encoder_shape.hpp"
#include "models/transformer_stack.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"

using namespace sslkit;
using namespace sslkit::nn;

namespace {

// The stack as a Module, so its parameters can be named and set.
struct Holder : ModuleImpl<Holder> {
  models::TransformerStack stack;
  void visit(ModuleVisitor& v) override { stack.visit(v); }
};

using Mat = std::vector<std::vector<double>>;  // [T][D]

struct Ref {
  std::map<std::string, const Tensor*> p;
  const float* at(const std::string& n) const { return p.at(n)->f32(); }
  int64_t dim(const std::string& n, int i) const { return p.at(n)->dim(i); }
  Mat linear(const Mat& x, const std::string& n) const {
    const int64_t O = dim(n + ".weight", 0), K = dim(n + ".weight", 1);
    Mat y(x.size(), std::vector<double>(O));
    for (size_t t = 0; t < x.size(); ++t)
      for (int64_t o = 0; o < O; ++o) {
        double s = at(n + ".bias")[o];
        for (int64_t k = 0; k < K; ++k) s += at(n + ".weight")[o * K + k] * x[t][k];
        y[t][o] = s;
      }
    return y;
  }
  Mat ln(const Mat& x, const std::string& n, double eps) const {
    Mat y = x;
    for (auto& row : y) {
      double m = 0, v = 0;
      for (double e : row) m += e;
      m /= row.size();
      for (double e : row) v += (e - m) * (e - m);
      v /= row.size();
      for (size_t d = 0; d < row.size(); ++d)
        row[d] = (row[d] - m) / std::sqrt(v + eps) * at(n + ".weight")[d] + at(n + ".bias")[d];
    }
    return y;
  }
  Mat attn(const Mat& x, const std::string& n, int64_t heads) const {
    const Mat q = linear(x, n + ".q"), k = linear(x, n + ".k"), v = linear(x, n + ".v");
    const size_t T = x.size(), D = x[0].size(), dh = D / heads;
    Mat ctx(T, std::vector<double>(D));
    for (int64_t h = 0; h < heads; ++h)
      for (size_t i = 0; i < T; ++i) {
        std::vector<double> s(T);
        double mx = -1e300, z = 0;
        for (size_t j = 0; j < T; ++j) {
          for (size_t c = h * dh; c < (h + 1) * dh; ++c) s[j] += q[i][c] * k[j][c];
          s[j] /= std::sqrt(static_cast<double>(dh));
          mx = std::max(mx, s[j]);
        }
        for (auto& e : s) z += (e = std::exp(e - mx));
        for (size_t j = 0; j < T; ++j)
          for (size_t c = h * dh; c < (h + 1) * dh; ++c) ctx[i][c] += s[j] / z * v[j][c];
      }
    return linear(ctx, n + ".out");
  }
  Mat mlp(const Mat& x, const std::string& n) const {
    Mat h = linear(x, n + ".fc1");
    for (auto& row : h)
      for (auto& e : row) e = 0.5 * e * (1 + std::erf(e / std::sqrt(2.0)));
    return linear(h, n + ".fc2");
  }
};

Mat add(const Mat& a, const Mat& b) {
  Mat c = a;
  for (size_t t = 0; t < a.size(); ++t)
    for (size_t d = 0; d < a[t].size(); ++d) c[t][d] += b[t][d];
  return c;
}

// The reference of a stack of shape s on x.
Mat reference(const Ref& r, const models::EncoderShape& s, Mat x) {
  if (s.norm == models::NormPlacement::post) {
    x = r.ln(x, "norm", s.eps);
    for (int64_t i = 0; i < s.depth; ++i) {
      const std::string b = "block" + std::to_string(i);
      x = r.ln(add(x, r.attn(x, b + ".attn", s.heads)), b + ".ln1", s.eps);
      x = r.ln(add(x, r.mlp(x, b)), b + ".ln2", s.eps);
    }
    return x;
  }
  for (int64_t i = 0; i < s.depth; ++i) {
    const std::string b = "block" + std::to_string(i);
    x = add(x, r.attn(r.ln(x, b + ".ln1", s.eps), b + ".attn", s.heads));
    x = add(x, r.mlp(r.ln(x, b + ".ln2", s.eps), b));
  }
  return r.ln(x, "norm", s.eps);
}

models::EncoderShape small(models::NormPlacement norm, double eps) {
  models::EncoderShape s;
  s.kind = models::EncoderKind::text;
  s.width = 8;
  s.depth = 2;
  s.heads = 2;
  s.mlp = 12;  // not a multiple of the width: the stack builds any MLP
  s.norm = norm;
  s.eps = eps;
  return s;
}

// max |stack(x) - reference(x)| over a [1,5,8] input of small variance
// (rows ~1e-3, so the epsilon matters), with every parameter random (the
// layer norms' too, so which norm runs where shows); `ref_eps` is the
// epsilon the reference uses.
double stack_vs_reference(const models::EncoderShape& s, double ref_eps) {
  init_engine();
  Rng rng(5);
  Holder h;
  h.stack = models::TransformerStack(s, rng);
  Ref r;
  uint64_t seed = 10;
  for (auto& [name, p] : h.named_parameters()) {
    const Tensor t = random_tensor(p->shape(), ++seed, -0.5f, 0.5f);
    std::copy(t.f32(), t.f32() + t.numel(), p->value().f32());
    if (name.find("ln") != std::string::npos || name.rfind("norm", 0) == 0)
      if (name.find("weight") != std::string::npos)
        for (int64_t i = 0; i < t.numel(); ++i) p->value().f32()[i] += 1.0f;
    r.p[name] = &p->value();
  }
  const Tensor x = random_tensor({1, 5, 8}, 3, -1e-3f, 1e-3f);
  NoGrad ng;
  const Tensor y = h.stack.forward(Var(x)).value();
  Mat xm(5, std::vector<double>(8));
  for (int t = 0; t < 5; ++t)
    for (int d = 0; d < 8; ++d) xm[t][d] = x.f32()[t * 8 + d];
  models::EncoderShape rs = s;
  rs.eps = ref_eps;
  const Mat want = reference(r, rs, xm);
  double err = 0;
  for (int t = 0; t < 5; ++t)
    for (int d = 0; d < 8; ++d) err = std::max(err, std::fabs(y.f32()[t * 8 + d] - want[t][d]));
  return err;
}

}  // namespace

TEST_CASE("transformer stack: post-LN blocks (BERT's) and pre-LN blocks match a double-precision reference") {
  for (auto norm : {models::NormPlacement::post, models::NormPlacement::pre})
    for (double eps : {1e-12, 1e-5}) {
      CAPTURE(static_cast<int>(norm));
      CAPTURE(eps);
      CHECK(stack_vs_reference(small(norm, eps), eps) < 1e-4);
    }
}

TEST_CASE("transformer stack: every layer norm uses the shape's epsilon - the other epsilon gives another output") {
  // Inputs of variance ~3e-7: eps 1e-12 and 1e-5 normalise them very differently.
  CHECK(stack_vs_reference(small(models::NormPlacement::post, 1e-12), 1e-5) > 1e-2);
  CHECK(stack_vs_reference(small(models::NormPlacement::post, 1e-5), 1e-12) > 1e-2);
  CHECK(stack_vs_reference(small(models::NormPlacement::pre, 1e-12), 1e-5) > 1e-2);
}

TEST_CASE("transformer stack: a post-LN stack differs from the pre-LN one with the same weights") {
  // Same seed, same draws: only the arrangement differs.
  init_engine();
  Rng a(5), b(5);
  models::TransformerStack post(small(models::NormPlacement::post, 1e-5), a), pre(small(models::NormPlacement::pre, 1e-5), b);
  NoGrad ng;
  const Var x(random_tensor({1, 5, 8}, 3));
  const Tensor p = post.forward(x).value(), q = pre.forward(x).value();
  double diff = 0;
  for (int64_t i = 0; i < p.numel(); ++i) diff = std::max(diff, static_cast<double>(std::fabs(p.f32()[i] - q.f32()[i])));
  CHECK(diff > 1e-2);
}

TEST_CASE("transformer stack: post-LN gradients of the input and padding mask match finite differences") {
  init_engine();
  Rng rng(2);
  const models::TransformerStack s(small(models::NormPlacement::post, 1e-12), rng);
  const std::vector<uint8_t> padding{0, 0, 0, 1, 0, 0, 1, 1};
  const GradCheck g = grad_check([&](const std::vector<Var>& in) { return s.forward(in[0], padding); },
                                 {random_tensor({2, 4, 8}, 9)}, 1e-2);
  MESSAGE("post-LN stack max gradient-check error " << g.max_error << " at " << g.worst);
  CHECK(g.max_error < 1e-3);
}
