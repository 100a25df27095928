#include <cmath>

#include "methods/factories.hpp"
#include "models/w2v.hpp"
#include "nn/optim.hpp"

namespace sslkit::methods {

using nn::Var;

namespace {

// An encoder and a linear head trained with cross-entropy. RotNet: 4-way
// classification of the rotation of each view (the pretext labels come
// from the augmentation). Supervised: the dataset's classes (full
// fine-tuning, or training from scratch as a baseline).
class Classifier : public nn::ModuleImpl<Classifier, Method> {
 public:
  Classifier(const MethodParams& p, Rng& rng, bool rotation) : rotation_(rotation) {
    if (!rotation && p.num_classes < 2) throw UsageError("a supervised model needs at least two classes");
    encoder_ = make_image_encoder(p, rng);
    head_ = nn::Linear(encoder_->out_dim(), rotation ? 4 : p.num_classes, rng);
  }
  Classifier(const Classifier& o) : nn::ModuleImpl<Classifier, Method>(o), head_(o.head_), rotation_(o.rotation_) {
  }
  Var loss(const Batch& b) override {
    // Audio: clips with their lengths (the mean over real frames), not views.
    auto* audio = dynamic_cast<models::W2VEncoder*>(encoder_.get());
    Var f = audio && b.audio.rows > 0 ? audio->embed(b.audio.audio, b.audio.lengths, b.audio.dtype)
                                      : encoder_->forward(b.views[0]);
    last_embedding = f.value();
    return nn::cross_entropy(nn::cast(head_.forward(f), nn::DType::f32), b.pretext);
  }
  // Class scores for backbone features.
  Var logits(const Var& features) override { return head_.forward(features); }
  void visit(nn::ModuleVisitor& v) override {
    v.module("encoder", *encoder_);
    v.module("head", head_);
  }

 private:
  nn::Linear head_;
  bool rotation_;
};

}  // namespace

std::unique_ptr<Method> make_classifier(const MethodParams& p, Rng& rng, bool rotation) {
  return std::make_unique<Classifier>(p, rng, rotation);
}

}  // namespace sslkit::methods
