#include <doctest/doctest.h>

#include <cmath>

#include "nn/gradcheck.hpp"
#include "nn/layers.hpp"
#include "nn/ops.hpp"
#include "nn/optim.hpp"
#include "models/encoders.hpp"
#include "nn/engine.hpp"

using namespace sslkit;
using namespace sslkit::nn;

TEST_CASE("cross_entropy matches log-sum-exp in double precision and skips ignored rows") {
  Tensor x = random_tensor({3, 4}, 1, -3, 3);
  std::vector<int32_t> t{2, -100, 0};
  double want = 0;
  for (int i : {0, 2}) {
    double z = 0;
    for (int k = 0; k < 4; ++k) z += std::exp(static_cast<double>(x.f32()[i * 4 + k]));
    want += std::log(z) - x.f32()[i * 4 + t[i]];
  }
  NoGrad ng;
  CHECK(cross_entropy(Var(x), t).value().item() == doctest::Approx(want / 2).epsilon(1e-6));
}

TEST_CASE("cross_entropy gradients match finite differences") {
  std::vector<int32_t> t{1, 3, -100, 0};
  auto r = grad_check([&](const std::vector<Var>& v) { return cross_entropy(v[0], t); },
                      {random_tensor({4, 5}, 2, -2, 2)}, 1e-3);
  INFO(r.worst);
  CHECK(r.max_error < 1e-3);
}

TEST_CASE("end to end: a tiny MLP and a tiny convnet fit a fixed toy set") {
  init_engine();
  Rng rng(3);
  // 32 points in 4-D, 4 classes given by the sign pattern of two coordinates.
  Tensor x = random_tensor({32, 4}, 4);
  std::vector<int32_t> y(32);
  for (int i = 0; i < 32; ++i) y[i] = (x.f32()[i * 4] > 0) * 2 + (x.f32()[i * 4 + 1] > 0);
  MLP mlp({4, 32, 4}, rng);
  AdamW opt({ParamGroup{mlp.parameters(), 1.0, 0.0}}, 0.02);
  float loss = 0;
  for (int step = 0; step < 300; ++step) {
    Var l = cross_entropy(mlp.forward(Var(x)), y);
    opt.zero_grad();
    l.backward();
    opt.step();
    loss = l.value().item();
  }
  CHECK(loss < 0.05);

  // 16 tiny images: the class is which quadrant holds a bright square.
  Tensor img = Tensor::zeros({16, 8, 8, 1});
  std::vector<int32_t> q(16);
  for (int i = 0; i < 16; ++i) {
    q[i] = i % 4;
    int oy = (q[i] / 2) * 4, ox = (q[i] % 2) * 4;
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) img.f32()[(i * 8 + oy + a + (i / 4) % 2) * 8 + ox + b] = 1.f;
  }
  Conv2d c1(1, 8, 3, rng, 1, 1), c2(8, 8, 3, rng, 1, 1);
  BatchNorm bn(8);
  Linear fc(8 * 4 * 4, 4, rng);
  std::vector<Var*> params{&c1.weight, &c1.bias, &c2.weight, &c2.bias, &bn.weight, &bn.bias, &fc.weight, &fc.bias};
  AdamW copt({ParamGroup{params, 1.0, 0.0}}, 0.01);
  for (int step = 0; step < 150; ++step) {
    Var h = relu(c1.forward(Var(img)));
    h = max_pool2d(bn.forward_relu(c2.forward(h)), 2, 2);
    Var l = cross_entropy(fc.forward(reshape(h, {16, 8 * 4 * 4})), q);
    copt.zero_grad();
    l.backward();
    copt.step();
    loss = l.value().item();
  }
  CHECK(loss < 0.05);
}
