#include <cmath>

#include "core/dist.hpp"
#include "methods/factories.hpp"
#include "nn/optim.hpp"

namespace sslkit::methods {

using nn::Var;

namespace {

// Barlow Twins and VICReg: a 3-layer BN projector and their redundancy losses.
class Redundancy : public nn::ModuleImpl<Redundancy, Method> {
 public:
  Redundancy(const MethodParams& p, Rng& rng, bool vicreg) : vicreg_(vicreg) {
    encoder_ = make_image_encoder(p, rng);
    int64_t d = encoder_->out_dim();
    proj_ = nn::MLP({d, p.hidden_dim, p.hidden_dim, p.hidden_dim}, rng, true);
  }
  Redundancy(const Redundancy& o) : nn::ModuleImpl<Redundancy, Method>(o), proj_(o.proj_), vicreg_(o.vicreg_) {
  }
  Var loss(const Batch& b) override {
    Var z1 = proj_.forward(encoder_->forward(b.views[0])), z2 = proj_.forward(encoder_->forward(b.views[1]));
    last_embedding = z1.value();
    if (dist::size() > 1) {
      // Over K ranks: the statistics (cross-correlation, variance,
      // covariance) of the global batch. Every rank computes the global
      // loss whole from the gathered rows; gather_rows' backward and the
      // trainer's average cancel (docs/scale-out.md). The projector's batch
      // norm is per rank unless --sync-bn.
      z1 = nn::gather_rows(nn::cast(z1, nn::DType::f32));
      z2 = nn::gather_rows(nn::cast(z2, nn::DType::f32));
    }
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

}  // namespace

std::unique_ptr<Method> make_redundancy(const MethodParams& p, Rng& rng, bool vicreg) {
  return std::make_unique<Redundancy>(p, rng, vicreg);
}

}  // namespace sslkit::methods
