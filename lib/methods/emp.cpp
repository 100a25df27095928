#include "core/dist.hpp"
#include "methods/factories.hpp"
#include "nn/ops.hpp"

namespace sslkit::methods {

using nn::Var;

namespace {

// EMP-SSL (Tong et al. 2023, "EMP-SSL: towards self-supervised learning in
// one training epoch"; tsb0601/EMP-SSL): many crops of each image through
// the same encoder in one pass, a 3-layer BN projector to unit vectors, and
// loss = mean over crops of the total coding rate of the batch's projections
// - 200 x the mean cosine of each crop to its image's crop mean. Every crop
// is a view of the batch (--views, 16 by default; EMP's CIFAR runs use 20 at
// a quarter of the area, resized back to the image's size).
class EMP : public nn::ModuleImpl<EMP, Method> {
 public:
  static constexpr float kEps = 0.2f;          // TCR's eps (EMP's --eps)
  static constexpr float kSimWeight = 200.f;   // EMP's --patch_sim

  EMP(const MethodParams& p, Rng& rng) {
    encoder_ = make_image_encoder(p, rng);
    const int64_t d = encoder_->out_dim();
    // The widths as given, not recomputed from d: a new run's come from the
    // registry row's multiples of d (size_projector), a stored model's from
    // its /config (files from before 2026-12-05: 1024 and 256 on any encoder).
    proj_ = nn::MLP({d, p.hidden_dim, p.hidden_dim, p.proj_dim}, rng, true);
  }
  EMP(const EMP& o) : nn::ModuleImpl<EMP, Method>(o), proj_(o.proj_) {}

  Var loss(const Batch& b) override {
    const int64_t V = static_cast<int64_t>(b.views.size());
    if (V < 2) throw UsageError("emp needs at least 2 views of each image (--views)");
    const int64_t B = b.views[0].shape()[0];
    // One encoder pass over every crop: batchnorm sees the V x B crops
    // together, as EMP's torch.cat of the patches does. With multi-crop
    // (--global-views) one pass per size, full-size views first, their
    // features in view order; the projector sees them all together.
    std::vector<Var> features;
    for (int64_t v0 = 0, v1; v0 < V; v0 = v1) {
      for (v1 = v0 + 1; v1 < V && b.views[v1].shape() == b.views[v0].shape();) ++v1;
      features.push_back(encoder_->forward(nn::concat({b.views.begin() + v0, b.views.begin() + v1}, 0)));
    }
    Var f = features.size() == 1 ? features[0] : nn::concat(features, 0);
    Var z = nn::l2_normalize(nn::cast(proj_.forward(f), nn::DType::f32));
    Var tcr;
    for (int64_t c = 0; c < V; ++c) {
      // Over K ranks the coding rate of the global batch's crops c (lightly
      // computed it per rank, off by the world size: lightly#1977/#1980):
      // every rank computes it whole from the gathered rows; gather_rows'
      // backward and the trainer's average cancel (docs/scale-out.md). The
      // crop cosine below is a mean over this rank's rows, as any row loss.
      Var zc = nn::slice_rows(z, c * B, B);
      if (dist::size() > 1) zc = nn::gather_rows(zc);
      Var t = nn::total_coding_rate(zc, kEps);
      tcr = c == 0 ? t : nn::add(tcr, t);
    }
    tcr = nn::scale(tcr, 1.0f / static_cast<float>(V));
    Var cosine = nn::crop_mean_cosine(z, V);
    tcr_ = tcr.value().item();
    cosine_ = cosine.value().item();
    last_embedding = nn::slice_rows(z, 0, B).value();
    return nn::sub(tcr, nn::scale(cosine, kSimWeight));
  }
  std::vector<std::pair<std::string, double>> metrics() const override {
    return {{"coding_rate", -tcr_}, {"crop_cosine", cosine_}};
  }
  Var project(const Var& f) override { return nn::l2_normalize(proj_.forward(f)); }
  void visit(nn::ModuleVisitor& v) override {
    v.module("encoder", *encoder_);
    v.module("projector", proj_);
  }

 private:
  nn::MLP proj_;
  double tcr_ = 0, cosine_ = 0;
};

}  // namespace

std::unique_ptr<Method> make_emp(const MethodParams& p, Rng& rng) { return std::make_unique<EMP>(p, rng); }

}  // namespace sslkit::methods
