// The seven methods, each a small class: heads, loss, and (for MoCo and
// BYOL) the EMA target updated outside the tape.
#include <cmath>

#include "core/error.hpp"
#include "methods/method.hpp"
#include "nn/optim.hpp"

namespace sslkit::methods {

using nn::Var;

namespace {

// SimCLR: 2-layer projector, NT-Xent over 2N views.
class SimCLR : public nn::ModuleImpl<SimCLR, Method> {
 public:
  SimCLR(const MethodParams& p, Rng& rng) : t_(p.temperature) {
    encoder_ = models::make_encoder(p.arch, p.in_channels, rng);
    int64_t d = encoder_->out_dim();
    proj_ = nn::MLP({d, d, p.proj_dim}, rng);
  }
  SimCLR(const SimCLR& o) : nn::ModuleImpl<SimCLR, Method>(o), proj_(o.proj_), t_(o.t_) {
  }
  Var loss(const Batch& b) override {
    Var z1 = proj_.forward(encoder_->forward(b.views[0])), z2 = proj_.forward(encoder_->forward(b.views[1]));
    last_embedding = z1.value();
    return nt_xent(nn::cast(z1, nn::DType::f32), nn::cast(z2, nn::DType::f32), t_);
  }
  Var project(const Var& f) override { return proj_.forward(f); }
  void visit(nn::ModuleVisitor& v) override {
    v.module("encoder", *encoder_);
    v.module("projector", proj_);
  }

 private:
  nn::MLP proj_;
  float t_;
};

// MoCo v2: query encoder + projector, key encoder as their EMA, a queue of
// normalised keys as negatives, InfoNCE at temperature 0.2.
class MoCo : public nn::ModuleImpl<MoCo, Method> {
 public:
  MoCo(const MethodParams& p, Rng& rng) : t_(p.temperature), m_(p.momentum) {
    encoder_ = models::make_encoder(p.arch, p.in_channels, rng);
    int64_t d = encoder_->out_dim();
    proj_ = nn::MLP({d, d, p.proj_dim}, rng);
    key_enc_.reset(static_cast<models::Encoder*>(encoder_->clone().release()));
    key_proj_ = proj_;
    nn::deep_copy_tensors(key_proj_);
    // The queue starts as random unit vectors, as in the reference.
    queue_ = nn::Tensor({p.queue, p.proj_dim}, nn::DType::f32);
    for (int64_t i = 0; i < p.queue; ++i) {
      double s = 0;
      for (int64_t j = 0; j < p.proj_dim; ++j) {
        float v = static_cast<float>(rng.uniform(-1, 1));
        queue_.f32()[i * p.proj_dim + j] = v;
        s += v * v;
      }
      for (int64_t j = 0; j < p.proj_dim; ++j) queue_.f32()[i * p.proj_dim + j] /= static_cast<float>(std::sqrt(s));
    }
    ptr_ = nn::Tensor::zeros({1});
  }
  MoCo(const MoCo& o)
      : nn::ModuleImpl<MoCo, Method>(o), proj_(o.proj_), key_proj_(o.key_proj_), queue_(o.queue_), ptr_(o.ptr_),
        t_(o.t_), m_(o.m_) {
    key_enc_.reset(static_cast<models::Encoder*>(o.key_enc_->clone().release()));
  }
  Var loss(const Batch& b) override {
    Var q = proj_.forward(encoder_->forward(b.views[0]));
    last_embedding = q.value();
    {
      nn::NoGrad ng;
      keys_ = nn::l2_normalize(nn::cast(key_proj_.forward(key_enc_->forward(b.views[1])), nn::DType::f32)).value();
    }
    return info_nce(q, Var(keys_), queue_, t_);
  }
  void after_step(int64_t, int64_t) override {
    nn::ema_update(*key_enc_, *encoder_, m_);
    nn::ema_update(key_proj_, proj_, m_);
    // Enqueue the batch's keys, overwriting the oldest.
    const int64_t K = queue_.dim(0), D = queue_.dim(1), n = keys_.dim(0);
    int64_t p = static_cast<int64_t>(ptr_.f32()[0]);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < D; ++j) queue_.f32()[((p + i) % K) * D + j] = keys_.f32()[i * D + j];
    ptr_.f32()[0] = static_cast<float>((p + n) % K);
  }
  Var project(const Var& f) override { return proj_.forward(f); }
  void visit(nn::ModuleVisitor& v) override {
    v.module("encoder", *encoder_);
    v.module("projector", proj_);
    v.module("key_encoder", *key_enc_);
    v.module("key_projector", key_proj_);
    v.buffer("queue", queue_);
    v.buffer("queue_ptr", ptr_);
  }

 private:
  nn::MLP proj_, key_proj_;
  std::unique_ptr<models::Encoder> key_enc_;
  nn::Tensor queue_, ptr_, keys_;
  float t_;
  double m_;
};

// BYOL: online encoder + projector + predictor against an EMA target
// (tau from 0.99 to 1 on a cosine); symmetric negative cosine.
// SimSiam: the same without the EMA (the target is the online branch, detached).
class BYOL : public nn::ModuleImpl<BYOL, Method> {
 public:
  BYOL(const MethodParams& p, Rng& rng, bool simsiam) : tau0_(p.momentum), simsiam_(simsiam) {
    encoder_ = models::make_encoder(p.arch, p.in_channels, rng);
    int64_t d = encoder_->out_dim();
    proj_ = simsiam ? nn::MLP({d, p.hidden_dim, p.hidden_dim, p.proj_dim}, rng, true, true)
                    : nn::MLP({d, p.hidden_dim, p.proj_dim}, rng, true);
    pred_ = nn::MLP({p.proj_dim, p.hidden_dim / (simsiam ? 4 : 1), p.proj_dim}, rng, true);
    if (!simsiam) {
      target_enc_.reset(static_cast<models::Encoder*>(encoder_->clone().release()));
      target_proj_ = proj_;
      nn::deep_copy_tensors(target_proj_);
    }
  }
  BYOL(const BYOL& o)
      : nn::ModuleImpl<BYOL, Method>(o), proj_(o.proj_), pred_(o.pred_), target_proj_(o.target_proj_),
        tau0_(o.tau0_), simsiam_(o.simsiam_) {
    if (o.target_enc_) target_enc_.reset(static_cast<models::Encoder*>(o.target_enc_->clone().release()));
  }
  Var loss(const Batch& b) override {
    Var z1 = proj_.forward(encoder_->forward(b.views[0])), z2 = proj_.forward(encoder_->forward(b.views[1]));
    last_embedding = z1.value();
    Var p1 = pred_.forward(z1), p2 = pred_.forward(z2);
    Var t1, t2;
    if (simsiam_) {
      t1 = z1.detach();
      t2 = z2.detach();
    } else {
      nn::NoGrad ng;
      t1 = target_proj_.forward(target_enc_->forward(b.views[0]));
      t2 = target_proj_.forward(target_enc_->forward(b.views[1]));
    }
    Var l = nn::add(nn::neg_cosine(p1, t2), nn::neg_cosine(p2, t1));
    return nn::scale(l, 0.5f);
  }
  void after_step(int64_t step, int64_t total) override {
    if (simsiam_) return;
    double tau = nn::byol_tau(step, total, tau0_);
    nn::ema_update(*target_enc_, *encoder_, tau);
    nn::ema_update(target_proj_, proj_, tau);
  }
  Var project(const Var& f) override { return proj_.forward(f); }
  void visit(nn::ModuleVisitor& v) override {
    v.module("encoder", *encoder_);
    v.module("projector", proj_);
    v.module("predictor", pred_);
    if (target_enc_) {
      v.module("target_encoder", *target_enc_);
      v.module("target_projector", target_proj_);
    }
  }

 private:
  nn::MLP proj_, pred_, target_proj_;
  std::unique_ptr<models::Encoder> target_enc_;
  double tau0_;
  bool simsiam_;
};

// Barlow Twins and VICReg: a 3-layer BN projector and their redundancy losses.
class Redundancy : public nn::ModuleImpl<Redundancy, Method> {
 public:
  Redundancy(const MethodParams& p, Rng& rng, bool vicreg) : vicreg_(vicreg) {
    encoder_ = models::make_encoder(p.arch, p.in_channels, rng);
    int64_t d = encoder_->out_dim();
    proj_ = nn::MLP({d, p.hidden_dim, p.hidden_dim, p.hidden_dim}, rng, true);
  }
  Redundancy(const Redundancy& o) : nn::ModuleImpl<Redundancy, Method>(o), proj_(o.proj_), vicreg_(o.vicreg_) {
  }
  Var loss(const Batch& b) override {
    Var z1 = proj_.forward(encoder_->forward(b.views[0])), z2 = proj_.forward(encoder_->forward(b.views[1]));
    last_embedding = z1.value();
    return vicreg_ ? nn::vicreg(z1, z2) : nn::barlow_twins(z1, z2, 5e-3f);
  }
  Var project(const Var& f) override { return proj_.forward(f); }
  void visit(nn::ModuleVisitor& v) override {
    v.module("encoder", *encoder_);
    v.module("projector", proj_);
  }

 private:
  nn::MLP proj_;
  bool vicreg_;
};

// RotNet: 4-way classification of the rotation of each view.
class Rotation : public nn::ModuleImpl<Rotation, Method> {
 public:
  Rotation(const MethodParams& p, Rng& rng) {
    encoder_ = models::make_encoder(p.arch, p.in_channels, rng);
    head_ = nn::Linear(encoder_->out_dim(), 4, rng);
  }
  Rotation(const Rotation& o) : nn::ModuleImpl<Rotation, Method>(o), head_(o.head_) {
  }
  Var loss(const Batch& b) override {
    Var f = encoder_->forward(b.views[0]);
    last_embedding = f.value();
    return nn::cross_entropy(nn::cast(head_.forward(f), nn::DType::f32), b.pretext);
  }
  int views() const override { return 4; }
  bool rotation() const override { return true; }
  void visit(nn::ModuleVisitor& v) override {
    v.module("encoder", *encoder_);
    v.module("head", head_);
  }

 private:
  nn::Linear head_;
};

}  // namespace

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> n = {"simclr", "moco", "byol", "simsiam", "barlow", "vicreg", "rotation"};
  return n;
}

std::unique_ptr<Method> make_method(const std::string& name, const MethodParams& p, Rng& rng) {
  if (name == "simclr") return std::make_unique<SimCLR>(p, rng);
  if (name == "moco") return std::make_unique<MoCo>(p, rng);
  if (name == "byol") return std::make_unique<BYOL>(p, rng, false);
  if (name == "simsiam") return std::make_unique<BYOL>(p, rng, true);
  if (name == "barlow") return std::make_unique<Redundancy>(p, rng, false);
  if (name == "vicreg") return std::make_unique<Redundancy>(p, rng, true);
  if (name == "rotation") return std::make_unique<Rotation>(p, rng);
  throw UsageError("--method must be one of simclr, moco, byol, simsiam, barlow, vicreg, rotation");
}

}  // namespace sslkit::methods
