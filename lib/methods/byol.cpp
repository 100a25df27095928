#include <cmath>

#include "methods/factories.hpp"
#include "nn/optim.hpp"

namespace sslkit::methods {

using nn::Var;

namespace {

// BYOL: online encoder + projector + predictor against an EMA target
// (tau from 0.99 to 1 on a cosine); symmetric negative cosine.
// SimSiam: the same without the EMA (the target is the online branch, detached).
class BYOL : public nn::ModuleImpl<BYOL, Method> {
 public:
  BYOL(const MethodParams& p, Rng& rng, bool simsiam) : tau0_(p.momentum), simsiam_(simsiam) {
    encoder_ = make_image_encoder(p, rng);
    int64_t d = encoder_->out_dim();
    proj_ = simsiam ? nn::MLP({d, p.hidden_dim, p.hidden_dim, p.proj_dim}, rng, true, true)
                    : nn::MLP({d, p.hidden_dim, p.proj_dim}, rng, true);
    pred_ = nn::MLP({p.proj_dim, p.hidden_dim / (simsiam ? 4 : 1), p.proj_dim}, rng, true);
    if (!simsiam) {
      target_enc_ = nn::clone_as(encoder_.get());
      target_proj_ = proj_;
      nn::deep_copy_tensors(target_proj_);
    }
  }
  BYOL(const BYOL& o)
      : nn::ModuleImpl<BYOL, Method>(o), proj_(o.proj_), pred_(o.pred_), target_proj_(o.target_proj_),
        tau0_(o.tau0_), simsiam_(o.simsiam_) {
    if (o.target_enc_) target_enc_ = nn::clone_as(o.target_enc_.get());
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
  std::vector<nn::Module*> ema_targets() override {
    if (simsiam_) return {};
    return {target_enc_.get(), &target_proj_};
  }
  void after_step(double fraction) override {
    if (simsiam_) return;
    double tau = nn::byol_tau(fraction, tau0_);
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

}  // namespace

std::unique_ptr<Method> make_byol(const MethodParams& p, Rng& rng, bool simsiam) {
  return std::make_unique<BYOL>(p, rng, simsiam);
}

}  // namespace sslkit::methods
