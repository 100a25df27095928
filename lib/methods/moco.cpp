#include <cmath>

#include "core/dist.hpp"
#include "methods/factories.hpp"
#include "nn/optim.hpp"

namespace sslkit::methods {

using nn::Var;

namespace {

// MoCo v2: query encoder + projector, key encoder as their EMA, a queue of
// normalised keys as negatives, InfoNCE at temperature 0.2. Over K ranks the
// queue takes the keys of the whole global batch, gathered in rank order (the
// reference's concat_all_gather before _dequeue_and_enqueue), so every rank
// holds the same queue, one process's at the same --batch; the loss stays
// the rank's own rows against their keys and that queue, and the trainer's
// average over ranks makes it the global batch's (docs/scale-out.md).
class MoCo : public nn::ModuleImpl<MoCo, Method> {
 public:
  MoCo(const MethodParams& p, Rng& rng) : t_(p.temperature), m_(p.momentum) {
    encoder_ = make_image_encoder(p, rng);
    int64_t d = encoder_->out_dim();
    proj_ = nn::MLP({d, d, p.proj_dim}, rng);
    key_enc_ = nn::clone_as(encoder_.get());
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
  }
  MoCo(const MoCo& o)
      : nn::ModuleImpl<MoCo, Method>(o), proj_(o.proj_), key_proj_(o.key_proj_), queue_(o.queue_), ptr_(o.ptr_),
        t_(o.t_), m_(o.m_) {
    key_enc_ = nn::clone_as(o.key_enc_.get());
  }
  Var loss(const Batch& b) override {
    Var q = proj_.forward(encoder_->forward(b.views[0]));
    last_embedding = q.value();
    nn::Tensor keys;
    {
      nn::NoGrad ng;
      keys = nn::l2_normalize(nn::cast(key_proj_.forward(key_enc_->forward(b.views[1])), nn::DType::f32)).value();
      batch_keys_ = keys;
      if (dist::size() > 1) {
        // Every rank's slice holds B/K rows (--batch is a multiple of K), and
        // rank order is the global batch's row order, so the gathered keys
        // are the ones one process would enqueue, in its order.
        batch_keys_ = nn::Tensor({keys.dim(0) * dist::size(), keys.dim(1)}, nn::DType::f32);
        dist::allgather(keys.f32(), static_cast<size_t>(keys.numel()), batch_keys_.f32());
      }
    }
    return info_nce(q, Var(keys), queue_, t_);
  }
  std::vector<nn::Module*> ema_targets() override { return {key_enc_.get(), &key_proj_}; }
  void after_step(double) override {
    nn::ema_update(*key_enc_, *encoder_, m_);
    nn::ema_update(key_proj_, proj_, m_);
    // Enqueue the global batch's keys, overwriting the oldest (the queue
    // need not be a multiple of the batch: the rows wrap around).
    const int64_t K = queue_.dim(0), D = queue_.dim(1), n = batch_keys_.dim(0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < D; ++j) queue_.f32()[((ptr_ + i) % K) * D + j] = batch_keys_.f32()[i * D + j];
    ptr_ = (ptr_ + n) % K;
  }
  Var project(const Var& f) override { return proj_.forward(f); }
  void visit(nn::ModuleVisitor& v) override {
    v.module("encoder", *encoder_);
    v.module("projector", proj_);
    v.module("key_encoder", *key_enc_);
    v.module("key_projector", key_proj_);
    v.buffer("queue", queue_);
    v.index("queue_ptr", ptr_, queue_.dim(0));
  }

 private:
  nn::MLP proj_, key_proj_;
  std::unique_ptr<models::Encoder> key_enc_;
  nn::Tensor queue_;
  // The step's keys to enqueue: the global batch's (all ranks' slices).
  nn::Tensor batch_keys_;
  // The next queue row to overwrite: an integer, as the reference's
  // torch.long (a float pointer is exact only up to 2^24 rows).
  int64_t ptr_ = 0;
  float t_;
  double m_;
};

}  // namespace

std::unique_ptr<Method> make_moco(const MethodParams& p, Rng& rng) { return std::make_unique<MoCo>(p, rng); }

}  // namespace sslkit::methods
