// DINO's loss pieces on hand-made cases, and the method's gradients and
// after-step state (center, teacher, temperature).
#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "methods/dino_loss.hpp"
#include "methods/method.hpp"
#include "nn/gradcheck.hpp"
#include "nn/ops.hpp"

using namespace sslkit;

namespace {

// Rows of logits whose softmax at `temp` is `p` (logits = temp * log p).
nn::Tensor logits_of(const std::vector<std::vector<double>>& p, double temp) {
  std::vector<float> v;
  for (const auto& row : p)
    for (double x : row) v.push_back(static_cast<float>(temp * std::log(x)));
  return nn::Tensor::from({static_cast<int64_t>(p.size()), static_cast<int64_t>(p[0].size())}, v);
}

nn::Tensor stack(const nn::Tensor& a, const nn::Tensor& b) {
  return nn::concat({nn::Var(a), nn::Var(b)}, 0).value();
}

}  // namespace

TEST_CASE("dino loss: a student that predicts the teacher's targets scores their entropy") {
  // P = (1/2, 1/4, 1/8, 1/8) has entropy 1.75 ln 2; the student's logits at
  // 0.1 and the teacher's at 0.04 both give P, on two views of one image.
  const std::vector<std::vector<double>> p = {{0.5, 0.25, 0.125, 0.125}};
  const nn::Tensor center = nn::Tensor::zeros({4});
  const nn::Tensor teacher = methods::dino_teacher_probs(logits_of(p, 0.04), center, 0.04f);
  CHECK(teacher.f32()[0] == doctest::Approx(0.5).epsilon(1e-5));
  CHECK(methods::mean_entropy(teacher) == doctest::Approx(1.75 * std::log(2.0)).epsilon(1e-5));
  const nn::Tensor student = logits_of(p, 0.1);
  const nn::Var loss =
      methods::dino_cross_entropy(nn::Var(stack(student, student)), stack(teacher, teacher), 2, 0.1f);
  CHECK(loss.value().item() == doctest::Approx(1.75 * std::log(2.0)).epsilon(1e-5));
  // A flat teacher against a flat student: log K.
  const nn::Tensor flat = methods::dino_teacher_probs(nn::Tensor::full({2, 4}, 0.3f), center, 0.04f);
  CHECK(methods::dino_cross_entropy(nn::Var(nn::Tensor::zeros({2, 4})), flat, 2, 0.1f).value().item() ==
        doctest::Approx(std::log(4.0)).epsilon(1e-6));
}

TEST_CASE("dino loss: each student view against the teacher's other views only - averaged over the pairs") {
  // Teacher views 0 and 1 give P0 and P1; student view 0 predicts P1 and
  // view 1 predicts P0, so the two pairs DINO counts (0 vs 1, 1 vs 0) each
  // score an entropy: (H(P0) + H(P1)) / 2. Counting a view against itself
  // would add two cross-entropies above that.
  const std::vector<std::vector<double>> p0 = {{0.5, 0.25, 0.125, 0.125}}, p1 = {{0.7, 0.1, 0.1, 0.1}};
  const nn::Tensor center = nn::Tensor::zeros({4});
  const nn::Tensor t0 = methods::dino_teacher_probs(logits_of(p0, 0.05), center, 0.05f),
                   t1 = methods::dino_teacher_probs(logits_of(p1, 0.05), center, 0.05f);
  const double h0 = methods::mean_entropy(t0), h1 = methods::mean_entropy(t1);
  const nn::Var student(stack(logits_of(p1, 0.1), logits_of(p0, 0.1)));
  CHECK(methods::dino_cross_entropy(student, stack(t0, t1), 2, 0.1f).value().item() ==
        doctest::Approx((h0 + h1) / 2).epsilon(1e-5));
  // Multi-crop: a third (local) view the teacher never sees is scored
  // against both teacher views: 2 x 3 - 2 = 4 pairs. It predicts P0, so its
  // pairs are H(P0) and CE(P1, P0).
  const nn::Tensor s2 = logits_of(p0, 0.1);
  double ce10 = 0;
  for (int k = 0; k < 4; ++k) ce10 -= p1[0][k] * std::log(p0[0][k]);
  const nn::Var three(nn::concat({student, nn::Var(s2)}, 0).value());
  CHECK(methods::dino_cross_entropy(three, stack(t0, t1), 3, 0.1f).value().item() ==
        doctest::Approx((h0 + h1 + h0 + ce10) / 4).epsilon(1e-5));
}

TEST_CASE("dino centre: the teacher's logits less the centre - the centre an EMA (0.9) of the batch mean") {
  // Logits that equal the centre plus a constant give a flat target.
  const nn::Tensor center = nn::Tensor::from({3}, {1.f, -2.f, 0.5f});
  const nn::Tensor shifted = nn::Tensor::from({1, 3}, {1.7f, -1.3f, 1.2f});
  const nn::Tensor p = methods::dino_teacher_probs(shifted, center, 0.04f);
  for (int k = 0; k < 3; ++k) CHECK(p.f32()[k] == doctest::Approx(1.0 / 3).epsilon(1e-6));
  // Batch mean of two rows (one process: no other rank's rows), then 0.9 c + 0.1 mean.
  const nn::Tensor rows = nn::Tensor::from({2, 3}, {1.f, 2.f, 3.f, 3.f, 4.f, -1.f});
  const nn::Tensor mean = methods::dino_batch_center(rows);
  CHECK(mean.to_vector() == std::vector<float>{2.f, 3.f, 1.f});
  nn::Tensor c = center.clone();
  methods::dino_update_center(c, mean, 0.9);
  CHECK(c.f32()[0] == doctest::Approx(0.9 * 1 + 0.1 * 2));
  CHECK(c.f32()[1] == doctest::Approx(0.9 * -2 + 0.1 * 3));
  CHECK(c.f32()[2] == doctest::Approx(0.9 * 0.5 + 0.1 * 1));
}

TEST_CASE("dino teacher temperature: 0.04 rising linearly to its end over the warmup - then flat") {
  CHECK(methods::dino_teacher_temperature(0.0, 0.04, 0.07, 0.3) == doctest::Approx(0.04));
  CHECK(methods::dino_teacher_temperature(0.15, 0.04, 0.07, 0.3) == doctest::Approx(0.055));
  CHECK(methods::dino_teacher_temperature(0.3, 0.04, 0.07, 0.3) == doctest::Approx(0.07));
  CHECK(methods::dino_teacher_temperature(0.9, 0.04, 0.07, 0.3) == doctest::Approx(0.07));
  CHECK(methods::dino_teacher_temperature(0.5, 0.04, 0.07, 0.0) == doctest::Approx(0.07));
}

TEST_CASE("dino loss gradient: through the student's logits and the weight-normalised prototypes") {
  // The student's side as the method composes it: unit bottleneck vectors
  // z [6,5] against l2-normalised prototype rows w [4,5], 3 views of 2
  // rows, 2 teacher views (fixed targets).
  const nn::Tensor teacher = methods::dino_teacher_probs(nn::random_tensor({4, 4}, 7), nn::Tensor::zeros({4}), 0.5f);
  auto f = [&](const std::vector<nn::Var>& in) {
    const nn::Var logits = nn::matmul(nn::l2_normalize(in[0]), nn::l2_normalize(in[1]), true);
    return methods::dino_cross_entropy(logits, teacher, 3, 0.1f);
  };
  const nn::GradCheck r = nn::grad_check(f, {nn::random_tensor({6, 5}, 1), nn::random_tensor({4, 5}, 2)}, 1e-3);
  INFO(r.worst);
  CHECK(r.max_error < 2e-2);
}

TEST_CASE("dino method: the student gets every gradient and the teacher none - after the step the centre "
          "and teacher and temperature move") {
  methods::MethodParams p;
  p.hidden_dim = 32;
  p.proj_dim = 16;
  p.own["prototypes"] = 64;
  p.own["teacher_momentum"] = 0.5;  // a large visible move
  Rng rng(3);
  auto m = methods::make_method("dino", p, rng);
  m->set_training(true);
  // Two global views of 12 x 12 and two local crops of 6 x 6 of 8 images.
  methods::Batch b;
  for (int v = 0; v < 4; ++v) b.views.emplace_back(nn::random_tensor({8, v < 2 ? 12 : 6, v < 2 ? 12 : 6, 1}, 10 + v));
  b.global_views = 2;
  const nn::Var loss = m->loss(b);
  CHECK(std::isfinite(loss.value().item()));
  loss.backward();
  std::set<const nn::Var*> teacher;
  for (nn::Module* t : m->ema_targets())
    for (auto& [name, v] : t->named_parameters()) teacher.insert(v);
  CHECK(teacher.size() * 2 == m->named_parameters().size());
  for (auto& kv : m->named_parameters()) {  // no structured binding: clang 14 cannot capture one in CAPTURE/INFO
    auto& name = kv.first;
    auto& v = kv.second;
    CAPTURE(name);
    if (teacher.count(v)) {
      CHECK_FALSE(v->grad().defined());
    } else {
      REQUIRE(v->grad().defined());
      double g = 0;
      for (float x : v->grad().to_vector()) g += std::fabs(x);
      CHECK(g > 0);
    }
  }
  // Before: the teacher is the student and the centre 0, the temperature 0.04.
  auto buffer = [&](const std::string& name) {
    for (auto& [n, t] : m->named_buffers())
      if (n == name) return t->to_vector();
    FAIL("no buffer " << name);
    return std::vector<float>{};
  };
  CHECK(buffer("teacher_temperature")[0] == doctest::Approx(0.04));
  for (float c : buffer("center")) CHECK(c == 0.f);
  // A step of the student, then after_step at 15 % of training.
  for (auto& [name, v] : m->named_parameters())
    if (!teacher.count(v))
      for (int64_t i = 0; i < v->value().numel(); ++i) v->value().f32()[i] -= 0.1f * v->grad().f32()[i];
  const std::vector<float> student_w = m->named_parameters()[0].second->value().to_vector();
  std::vector<float> teacher_w;
  for (auto& [name, v] : m->named_parameters())
    if (name == "teacher_" + m->named_parameters()[0].first) teacher_w = v->value().to_vector();
  REQUIRE(teacher_w.size() == student_w.size());
  m->after_step(0.15);
  CHECK(buffer("teacher_temperature")[0] == doctest::Approx(0.055));
  double moved = 0;
  for (float c : buffer("center")) moved += std::fabs(c);
  CHECK(moved > 0);
  std::vector<float> teacher_after;
  for (auto& [name, v] : m->named_parameters())
    if (name == "teacher_" + m->named_parameters()[0].first) teacher_after = v->value().to_vector();
  // The momentum at 15 %: 1 - 0.5 (cos(0.15 pi) + 1) / 2.
  const double tau = 1 - 0.5 * (std::cos(M_PI * 0.15) + 1) / 2;
  for (size_t i = 0; i < teacher_w.size(); i += 17)
    CHECK(teacher_after[i] == doctest::Approx(tau * teacher_w[i] + (1 - tau) * student_w[i]).epsilon(1e-5));
}
