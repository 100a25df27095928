#include <limits>
#include <string>

#include "methods/dino_loss.hpp"
#include "methods/factories.hpp"
#include "nn/optim.hpp"

namespace sslkit::methods {

using nn::Var;

namespace {

// DINO's head (facebookresearch/dino vision_transformer.py DINOHead): a
// 3-layer MLP with GELU and no batchnorm to a bottleneck, l2-normalised,
// then a weight-normalised linear layer to K prototypes whose gain is fixed
// at 1 (the reference's norm_last_layer): each prototype is the direction
// of its row, so the scores are cosines.
class DinoHead : public nn::ModuleImpl<DinoHead> {
 public:
  DinoHead() = default;
  DinoHead(int64_t in, int64_t hidden, int64_t bottleneck, int64_t prototypes, Rng& rng)
      : fc0_(in, hidden, rng), fc1_(hidden, hidden, rng), fc2_(hidden, bottleneck, rng),
        last_(nn::Linear(bottleneck, prototypes, rng, false).weight) {}
  // The unit bottleneck vectors [N, bottleneck] (f32).
  Var bottleneck(const Var& x) const {
    Var h = nn::gelu(fc1_.forward(nn::gelu(fc0_.forward(x))));
    return nn::l2_normalize(nn::cast(fc2_.forward(h), nn::DType::f32));
  }
  // Prototype scores [N, K] of unit bottleneck vectors: the gradient reaches
  // the rows' directions through the normalisation (weight_norm's g = 1).
  // A matmul, not nn::linear: oneDNN's inner-product backward-data crashed
  // on a narrow bottleneck and many prototypes (32 wide, 2048 or more).
  Var prototypes(const Var& z) const { return nn::matmul(z, nn::l2_normalize(last_), true); }
  void visit(nn::ModuleVisitor& v) override {
    v.module("fc0", fc0_);
    v.module("fc1", fc1_);
    v.module("fc2", fc2_);
    v.param("last_layer.weight_v", last_);
  }

 private:
  nn::Linear fc0_, fc1_, fc2_;
  Var last_;  // [K, bottleneck]
};

// DINO (Caron et al. 2021): a student (encoder + head) sees every view of
// an image, global and local crops; a teacher, the EMA of the student, sees
// the global ones under no gradient; the teacher's scores, centred (an EMA
// of its batch means) and sharpened (a low temperature), are the soft
// targets of the student's scores on every other view. Centring keeps one
// prototype from taking over, sharpening keeps the targets from going flat.
class Dino : public nn::ModuleImpl<Dino, Method> {
 public:
  static constexpr float kStudentTemp = 0.1f;        // DINO's student_temp
  static constexpr double kCenterMomentum = 0.9;     // DINO's center_momentum
  static constexpr double kTeacherTempStart = 0.04;  // DINO's warmup_teacher_temp

  Dino(const MethodParams& p, Rng& rng)
      : prototypes_(p.own.value("prototypes", int64_t{4096})),
        teacher_temp_(p.own.value("teacher_temp", 0.07)),
        temp_warmup_(p.own.value("teacher_temp_warmup", 0.3)),
        momentum0_(p.own.value("teacher_momentum", 0.996)) {
    encoder_ = make_image_encoder(p, rng);
    head_ = DinoHead(encoder_->out_dim(), p.hidden_dim, p.proj_dim, prototypes_, rng);
    // The teacher starts as the student, as DINO's load_state_dict.
    teacher_enc_ = nn::clone_as(encoder_.get());
    teacher_head_ = head_;
    nn::deep_copy_tensors(teacher_head_);
    center_ = nn::Tensor::zeros({prototypes_});
    temp_ = nn::Tensor::full({1}, static_cast<float>(kTeacherTempStart));
  }
  Dino(const Dino& o)
      : nn::ModuleImpl<Dino, Method>(o), head_(o.head_), teacher_head_(o.teacher_head_), center_(o.center_),
        temp_(o.temp_), batch_center_(o.batch_center_), prototypes_(o.prototypes_), teacher_temp_(o.teacher_temp_),
        temp_warmup_(o.temp_warmup_), momentum0_(o.momentum0_), entropy_(o.entropy_),
        used_temp_(o.used_temp_) {
    teacher_enc_ = nn::clone_as(o.teacher_enc_.get());
  }

  Var loss(const Batch& b) override {
    const int64_t V = static_cast<int64_t>(b.views.size());
    if (V < 2) throw UsageError("dino needs at least 2 views of each image (--views, --global-views)");
    // The teacher sees the global (full-size) views; without any, every view.
    const int64_t T = b.global_views > 0 ? b.global_views : V;
    const int64_t B = b.views[0].shape()[0];
    // The student: one encoder pass per size, global views first (batchnorm
    // statistics per size, as DINO's passes per resolution), one head pass.
    std::vector<Var> features;
    for (int64_t v0 = 0, v1; v0 < V; v0 = v1) {
      for (v1 = v0 + 1; v1 < V && b.views[v1].shape() == b.views[v0].shape();) ++v1;
      features.push_back(encoder_->forward(concat_views(b, v0, v1)));
    }
    const Var z = head_.bottleneck(features.size() == 1 ? features[0] : nn::concat(features, 0));
    const Var student = head_.prototypes(z);
    nn::Tensor teacher;
    {
      nn::NoGrad ng;
      teacher = teacher_head_.prototypes(teacher_head_.bottleneck(teacher_enc_->forward(concat_views(b, 0, T)))).value();
    }
    used_temp_ = temp_.f32()[0];
    const nn::Tensor probs = dino_teacher_probs(teacher, center_, used_temp_);
    batch_center_ = dino_batch_center(teacher);  // applied after the step: this loss uses the centre before it
    entropy_ = mean_entropy(probs);
    last_embedding = nn::slice_rows(z, 0, B).value();
    return dino_cross_entropy(student, probs, V, kStudentTemp);
  }
  // After each step: the centre takes the batch's mean, the teacher follows
  // the student (momentum from --teacher-momentum to 1 on a cosine, DINO's
  // schedule), and the teacher's temperature of the next step follows the
  // schedule's fraction at this one (kept as the float used: a time
  // budget's fraction is not a function of the step).
  void after_step(double fraction) override {
    if (batch_center_.defined()) dino_update_center(center_, batch_center_, kCenterMomentum);
    batch_center_ = nn::Tensor();
    const double m = nn::byol_tau(fraction, momentum0_);
    nn::ema_update(*teacher_enc_, *encoder_, m);
    nn::ema_update(teacher_head_, head_, m);
    temp_.f32()[0] =
        static_cast<float>(dino_teacher_temperature(fraction, kTeacherTempStart, teacher_temp_, temp_warmup_));
  }
  std::vector<nn::Module*> ema_targets() override { return {teacher_enc_.get(), &teacher_head_}; }
  std::vector<std::pair<std::string, double>> metrics() const override {
    return {{"teacher_entropy", entropy_}, {"teacher_temperature", used_temp_}};
  }
  Var project(const Var& f) override { return head_.bottleneck(f); }
  void visit(nn::ModuleVisitor& v) override {
    v.module("encoder", *encoder_);
    v.module("head", head_);
    v.module("teacher_encoder", *teacher_enc_);
    v.module("teacher_head", teacher_head_);
    v.buffer("center", center_);
    v.buffer("teacher_temperature", temp_);
  }

 private:
  static Var concat_views(const Batch& b, int64_t v0, int64_t v1) {
    if (v1 - v0 == 1) return b.views[v0];
    return nn::concat({b.views.begin() + v0, b.views.begin() + v1}, 0);
  }

  DinoHead head_, teacher_head_;
  std::unique_ptr<models::Encoder> teacher_enc_;
  nn::Tensor center_, temp_;  // [K] and [1], kept in the model file (resume)
  nn::Tensor batch_center_;   // the last batch's teacher mean, until after_step
  int64_t prototypes_;
  double teacher_temp_, temp_warmup_, momentum0_;
  double entropy_ = 0, used_temp_ = 0;  // of the last batch, for the log
};

}  // namespace

std::unique_ptr<Method> make_dino(const MethodParams& p, Rng& rng) { return std::make_unique<Dino>(p, rng); }

}  // namespace sslkit::methods
