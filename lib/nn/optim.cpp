#include "nn/optim.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "nn/profile.hpp"

namespace sslkit::nn {

std::vector<ParamGroup> decay_groups(Module& m, double weight_decay) {
  ParamGroup decay{{}, 1.0, weight_decay, false}, no_decay{{}, 1.0, 0.0, true};
  for (auto& [name, p] : m.named_parameters()) {
    bool is_bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
    (is_bias || p->value().rank() == 1 ? no_decay : decay).params.push_back(p);
  }
  return {decay, no_decay};
}

void Optimizer::zero_grad() {
  for (auto& g : groups_)
    for (auto* p : g.params) p->zero_grad();
}

static std::vector<std::vector<Tensor>> zeros_like(const std::vector<ParamGroup>& groups) {
  std::vector<std::vector<Tensor>> s;
  for (auto& g : groups) {
    s.emplace_back();
    for (auto* p : g.params) s.back().push_back(Tensor::zeros(p->value().shape()));
  }
  return s;
}

static std::vector<std::pair<std::string, Tensor*>> name_state(const std::string& kind,
                                                               std::vector<std::vector<Tensor>>& s) {
  std::vector<std::pair<std::string, Tensor*>> out;
  for (size_t g = 0; g < s.size(); ++g)
    for (size_t i = 0; i < s[g].size(); ++i)
      out.emplace_back(kind + "." + std::to_string(g) + "." + std::to_string(i), &s[g][i]);
  return out;
}

// ---- SGD

SGD::SGD(std::vector<ParamGroup> groups, double lr, double momentum, bool nesterov)
    : Optimizer(std::move(groups)), momentum_(momentum), nesterov_(nesterov) {
  lr_ = lr;
  buf_ = zeros_like(groups_);
}

void SGD::step() {
  OpTimer t("optim.step");
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const auto& g = groups_[gi];
    const float lr = static_cast<float>(lr_ * g.lr_scale), wd = static_cast<float>(g.weight_decay),
                m = static_cast<float>(momentum_);
    for (size_t i = 0; i < g.params.size(); ++i) {
      Var* p = g.params[i];
      if (!p->grad().defined()) continue;
      float* w = p->value().f32();
      const float* gr = p->grad().f32();
      float* b = buf_[gi][i].f32();
      const int64_t n = p->value().numel();
      const bool first = steps_ == 0;
#pragma omp parallel for simd if (n > 16384)
      for (int64_t k = 0; k < n; ++k) {
        float d = gr[k] + wd * w[k];
        if (m != 0) {
          b[k] = first ? d : m * b[k] + d;
          d = nesterov_ ? d + m * b[k] : b[k];
        }
        w[k] -= lr * d;
      }
    }
  }
  ++steps_;
}

std::vector<std::pair<std::string, Tensor*>> SGD::state() { return name_state("momentum", buf_); }

// ---- LARS

LARS::LARS(std::vector<ParamGroup> groups, double lr, double momentum, double eta)
    : Optimizer(std::move(groups)), momentum_(momentum), eta_(eta) {
  lr_ = lr;
  buf_ = zeros_like(groups_);
}

void LARS::step() {
  OpTimer t("optim.step");
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const auto& g = groups_[gi];
    for (size_t i = 0; i < g.params.size(); ++i) {
      Var* p = g.params[i];
      if (!p->grad().defined()) continue;
      float* w = p->value().f32();
      const float* gr = p->grad().f32();
      float* b = buf_[gi][i].f32();
      const int64_t n = p->value().numel();
      const double wd = g.weight_decay;
      double wn = 0, gn = 0;
      for (int64_t k = 0; k < n; ++k) {
        wn += static_cast<double>(w[k]) * w[k];
        double d = gr[k] + wd * w[k];
        gn += d * d;
      }
      wn = std::sqrt(wn);
      gn = std::sqrt(gn);
      // SimCLR: trust ratio eta ||w|| / ||g + wd w|| when both norms are positive.
      double trust = (!g.exclude_from_lars && wn > 0 && gn > 0) ? eta_ * wn / gn : 1.0;
      const double lr = lr_ * g.lr_scale * trust;
      for (int64_t k = 0; k < n; ++k) {
        double d = gr[k] + wd * w[k];
        b[k] = static_cast<float>(momentum_ * b[k] + lr * d);
        w[k] -= b[k];
      }
    }
  }
  ++steps_;
}

std::vector<std::pair<std::string, Tensor*>> LARS::state() { return name_state("momentum", buf_); }

// ---- AdamW

AdamW::AdamW(std::vector<ParamGroup> groups, double lr, double beta1, double beta2, double eps)
    : Optimizer(std::move(groups)), b1_(beta1), b2_(beta2), eps_(eps) {
  lr_ = lr;
  m_ = zeros_like(groups_);
  v_ = zeros_like(groups_);
}

void AdamW::step() {
  OpTimer t("optim.step");
  const int64_t k = steps_ + 1;
  const double c1 = 1 - std::pow(b1_, static_cast<double>(k)), c2 = 1 - std::pow(b2_, static_cast<double>(k));
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const auto& g = groups_[gi];
    const float lr = static_cast<float>(lr_ * g.lr_scale);
    const float decay = static_cast<float>(1 - lr_ * g.lr_scale * g.weight_decay);
    const float b1 = static_cast<float>(b1_), b2 = static_cast<float>(b2_), eps = static_cast<float>(eps_);
    const float step = static_cast<float>(lr / c1), rc2 = static_cast<float>(1.0 / std::sqrt(c2));
    for (size_t i = 0; i < g.params.size(); ++i) {
      Var* p = g.params[i];
      if (!p->grad().defined()) continue;
      float* w = p->value().f32();
      const float* gr = p->grad().f32();
      float *m = m_[gi][i].f32(), *v = v_[gi][i].f32();
      const int64_t n = p->value().numel();
#pragma omp parallel for simd if (n > 16384)
      for (int64_t j = 0; j < n; ++j) {
        m[j] = b1 * m[j] + (1 - b1) * gr[j];
        v[j] = b2 * v[j] + (1 - b2) * gr[j] * gr[j];
        w[j] = w[j] * decay - step * m[j] / (std::sqrt(v[j]) * rc2 + eps);
      }
    }
  }
  ++steps_;
}

std::vector<std::pair<std::string, Tensor*>> AdamW::state() {
  auto a = name_state("adam_m", m_), b = name_state("adam_v", v_);
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// ---- schedules and helpers

void ema_update(Module& target, Module& online, double tau) {
  auto t = target.named_parameters(), o = online.named_parameters();
  if (t.size() != o.size()) SSLKIT_FAIL(std::string("EMA between modules of different structure"));
  // Every pair is checked before the first write: the loop below walks the
  // target's numel() over the online tensor, so a pair of equal count but
  // another shape would read past it, and a partial update cannot be undone.
  for (size_t i = 0; i < t.size(); ++i) {
    const Tensor &tv = t[i].second->value(), &ov = o[i].second->value();
    if (tv.shape() != ov.shape())
      SSLKIT_FAIL("EMA target parameter " + t[i].first + " has shape " + shape_str(tv.shape()) + ", its online " +
                  o[i].first + " " + shape_str(ov.shape()));
    if (tv.dtype() != DType::f32 || ov.dtype() != DType::f32)
      SSLKIT_FAIL("EMA target parameter " + t[i].first + " is " + dtype_name(tv.dtype()) + " and its online " +
                  o[i].first + " " + dtype_name(ov.dtype()) + "; EMA runs on f32 master weights");
  }
  const float a = static_cast<float>(tau), b = static_cast<float>(1 - tau);
  for (size_t i = 0; i < t.size(); ++i) {
    float* tw = t[i].second->value().f32();
    const float* ow = o[i].second->value().f32();
    const int64_t n = t[i].second->value().numel();
    for (int64_t k = 0; k < n; ++k) tw[k] = a * tw[k] + b * ow[k];
  }
  auto tb = target.named_buffers(), ob = online.named_buffers();
  if (tb.size() != ob.size()) SSLKIT_FAIL(std::string("EMA between modules with different buffers"));
  for (size_t i = 0; i < tb.size(); ++i) *tb[i].second = ob[i].second->clone();
}

double byol_tau(double fraction, double tau0) {
  const double t = std::clamp(fraction, 0.0, 1.0);
  return 1 - (1 - tau0) * (std::cos(M_PI * t) + 1) / 2;
}

}  // namespace sslkit::nn
