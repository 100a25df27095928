#include <cmath>

#include "core/dist.hpp"
#include "methods/factories.hpp"
#include "nn/optim.hpp"

namespace sslkit::methods {

using nn::Var;

namespace {

// SimCLR: 2-layer projector, NT-Xent over 2N views.
class SimCLR : public nn::ModuleImpl<SimCLR, Method> {
 public:
  SimCLR(const MethodParams& p, Rng& rng) : t_(p.temperature) {
    encoder_ = make_image_encoder(p, rng);
    int64_t d = encoder_->out_dim();
    proj_ = nn::MLP({d, d, p.proj_dim}, rng);
  }
  SimCLR(const SimCLR& o) : nn::ModuleImpl<SimCLR, Method>(o), proj_(o.proj_), t_(o.t_) {
  }
  Var loss(const Batch& b) override {
    Var z1 = proj_.forward(encoder_->forward(b.views[0])), z2 = proj_.forward(encoder_->forward(b.views[1]));
    last_embedding = z1.value();
    Var u1 = nn::cast(z1, nn::DType::f32), u2 = nn::cast(z2, nn::DType::f32);
    if (dist::size() == 1) return nt_xent(u1, u2, t_);
    // Over K ranks: negatives from the whole global batch. Every rank computes
    // the global batch's NT-Xent whole from the gathered views (the same
    // value on every rank); gather_rows' backward sums the K ranks' copies of
    // each slice's gradient and the trainer's average divides by K again, so
    // the step is one process's at the same --batch (docs/scale-out.md).
    return nt_xent(nn::gather_rows(u1), nn::gather_rows(u2), t_);
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

}  // namespace

std::unique_ptr<Method> make_simclr(const MethodParams& p, Rng& rng) { return std::make_unique<SimCLR>(p, rng); }

}  // namespace sslkit::methods
