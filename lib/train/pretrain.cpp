#include "train/pretrain.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

#include "augment/recipe.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "io/data_file.hpp"
#include "io/files.hpp"
#include "io/model_file.hpp"
#include "methods/method.hpp"
#include "nn/engine.hpp"
#include "nn/optim.hpp"
#include "train/checkpoint.hpp"
#include "train/trained_model.hpp"

namespace sslkit::train {

using json = nlohmann::ordered_json;

namespace {

// HDF5 (Debian's serial build) is not thread-safe: the loader thread and the
// checkpoint writer take turns.
std::mutex g_hdf5;

struct HostBatch {
  std::vector<nn::Tensor> views;  // f32 [B,H,W,C], normalised
  std::vector<int32_t> pretext;
};

// Reads and augments batches on a background thread, one batch ahead.
class Loader {
 public:
  Loader(const io::DataReader& in, const methods::Method& m, const augment::Recipe& recipe, int batch, uint64_t seed,
         float mean, float stdev, int64_t first_step)
      : in_(in), recipe_(recipe), batch_(batch), seed_(seed), mean_(mean), std_(stdev), views_(m.views()),
        rotation_(m.rotation()), step_(first_step) {
    use_views_ = !in.has("/images");
    auto info = in.info(use_views_ ? "/views" : "/images");
    h_ = static_cast<int>(info.shape[use_views_ ? 2 : 1]);
    w_ = static_cast<int>(info.shape[use_views_ ? 3 : 2]);
    c_ = static_cast<int>(info.shape.back());
    n_ = in.size();
    steps_per_epoch_ = static_cast<int64_t>(n_ / batch_);
    if (steps_per_epoch_ == 0) throw Error(in.name(), "has fewer samples than one batch (" + std::to_string(batch) + ")");
    thread_ = std::thread([this] { loop(); });
  }
  ~Loader() {
    {
      std::lock_guard<std::mutex> l(m_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  HostBatch next() {
    std::unique_lock<std::mutex> l(m_);
    cv_.wait(l, [&] { return ready_ || !error_.empty(); });
    if (!error_.empty()) throw Error(in_.name(), error_);
    HostBatch b = std::move(next_);
    ready_ = false;
    cv_.notify_all();
    return b;
  }
  int64_t steps_per_epoch() const { return steps_per_epoch_; }
  int height() const { return h_; }
  int width() const { return w_; }
  int channels() const { return c_; }

 private:
  void loop() {
    try {
      for (;;) {
        HostBatch b = make(step_++);
        std::unique_lock<std::mutex> l(m_);
        cv_.wait(l, [&] { return !ready_ || stop_; });
        if (stop_) return;
        next_ = std::move(b);
        ready_ = true;
        cv_.notify_all();
      }
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> l(m_);
      error_ = e.what();
      cv_.notify_all();
    }
  }

  // The batch of a global step: epoch = step / steps_per_epoch, a seeded
  // permutation per epoch, views seeded by (seed, sample id, epoch, view).
  HostBatch make(int64_t step) {
    const int64_t epoch = step / steps_per_epoch_, k = step % steps_per_epoch_;
    if (epoch != perm_epoch_) {
      perm_.resize(n_);
      for (size_t i = 0; i < n_; ++i) perm_[i] = i;
      Rng(seed_, 0xE90C, static_cast<uint64_t>(epoch)).shuffle(perm_);
      perm_epoch_ = epoch;
    }
    const size_t px = static_cast<size_t>(h_) * w_ * c_;
    const int nviews = rotation_ ? 1 : views_;
    HostBatch b;
    const int rows = rotation_ ? batch_ : batch_;
    for (int v = 0; v < nviews; ++v) b.views.emplace_back(nn::Shape{rows, h_, w_, c_}, nn::DType::f32);
    std::vector<uint8_t> img(use_views_ ? px * in_.info("/views").shape[1] : px);
    std::vector<int64_t> id(1);
    for (int r = 0; r < batch_; ++r) {
      const size_t idx = perm_[k * batch_ + r];
      {
        std::lock_guard<std::mutex> l(g_hdf5);
        in_.read<uint8_t>(use_views_ ? "/views" : "/images", idx, 1, img.data());
        if (in_.has("/ids")) in_.read<int64_t>("/ids", idx, 1, id.data());
        else id[0] = static_cast<int64_t>(idx);
      }
      for (int v = 0; v < nviews; ++v) {
        cv::Mat out;
        int32_t pretext = -1;
        if (use_views_) {
          out = cv::Mat(h_, w_, c_ == 1 ? CV_8UC1 : CV_8UC3, img.data() + (v % in_.info("/views").shape[1]) * px);
        } else {
          cv::Mat src(h_, w_, c_ == 1 ? CV_8UC1 : CV_8UC3, img.data());
          // Rotation: each image gets one random rotation per step.
          Rng rng(seed_, static_cast<uint64_t>(id[0]) + 1, static_cast<uint64_t>(epoch) * 64 + v + 1);
          int view = rotation_ ? static_cast<int>(rng.below(4)) : v;
          out = augment::make_view(recipe_, src, view, h_, w_, rng, &pretext);
        }
        float* dst = b.views[v].f32() + r * px;
        for (size_t i = 0; i < px; ++i) dst[i] = (out.data[i] / 255.0f - mean_) / std_;
        if (rotation_) b.pretext.push_back(pretext);
      }
    }
    return b;
  }

  const io::DataReader& in_;
  augment::Recipe recipe_;
  int batch_;
  uint64_t seed_;
  float mean_, std_;
  int views_;
  bool rotation_, use_views_ = false;
  int h_ = 0, w_ = 0, c_ = 0;
  size_t n_ = 0;
  int64_t steps_per_epoch_ = 0, step_, perm_epoch_ = -1;
  std::vector<size_t> perm_;
  std::thread thread_;
  std::mutex m_;
  std::condition_variable cv_;
  HostBatch next_;
  bool ready_ = false, stop_ = false;
  std::string error_;
};

std::string default_recipe(const std::string& method) {
  if (method == "moco") return "mocov2";
  if (method == "byol") return "byol";
  if (method == "rotation") return "rotation";
  return "simclr";
}

std::unique_ptr<nn::Optimizer> make_optimizer(const std::string& name, methods::Method& m, double lr, double wd) {
  // EMA targets (target_*, key_*) are not trained by the optimizer.
  nn::ParamGroup decay{{}, 1.0, wd, false}, no_decay{{}, 1.0, 0.0, true};
  for (auto& [n, p] : m.named_parameters()) {
    if (n.rfind("target_", 0) == 0 || n.rfind("key_", 0) == 0) continue;
    bool bias = n.size() >= 4 && n.compare(n.size() - 4, 4, "bias") == 0;
    (bias || p->value().rank() == 1 ? no_decay : decay).params.push_back(p);
  }
  std::vector<nn::ParamGroup> groups{decay, no_decay};
  if (name == "sgd") return std::make_unique<nn::SGD>(groups, lr, 0.9);
  if (name == "lars") return std::make_unique<nn::LARS>(groups, lr, 0.9);
  if (name == "adamw") return std::make_unique<nn::AdamW>(groups, lr);
  throw UsageError("--optimizer must be sgd, lars or adamw");
}

// Mean over dimensions of the std of l2-normalised embeddings: about
// 1/sqrt(D) when healthy, near 0 when every input maps to the same point.
double collapse_std(const nn::Tensor& z) {
  if (!z.defined() || z.rank() != 2) return -1;
  nn::Tensor f = z.to(nn::DType::f32);
  const int64_t N = f.dim(0), D = f.dim(1);
  std::vector<double> mean(D, 0), sq(D, 0);
  for (int64_t i = 0; i < N; ++i) {
    double norm = 0;
    for (int64_t d = 0; d < D; ++d) norm += f.f32()[i * D + d] * f.f32()[i * D + d];
    norm = std::max(std::sqrt(norm), 1e-12);
    for (int64_t d = 0; d < D; ++d) {
      double u = f.f32()[i * D + d] / norm;
      mean[d] += u / N;
      sq[d] += u * u / N;
    }
  }
  double s = 0;
  for (int64_t d = 0; d < D; ++d) s += std::sqrt(std::max(0.0, sq[d] - mean[d] * mean[d]));
  return s / D;
}

}  // namespace

void run_pretrain(const PretrainOptions& o) {
  if (o.batch < 2) throw UsageError("--batch must be at least 2");
  nn::init_engine();
  const nn::DType dt = nn::resolve_precision(o.precision);
  io::DataReader in(o.input);
  if (in.modality() != io::Modality::image) throw UsageError("ssl-pretrain trains on image files for now");
  auto [mean, stdev] = pixel_stats(in);

  methods::MethodParams mp;
  json config;
  int64_t start_step = 0;
  CheckpointExtras extras;
  if (!o.resume.empty()) {
    io::ModelReader peek(o.resume);
    config = json::parse(peek.config());
    if (o.epochs > 0) config["epochs"] = o.epochs;
  } else {
    const std::string name = in.has("/images") ? "/images" : "/views";
    config = {{"method", o.method},
              {"arch", o.arch},
              {"in_channels", in.info(name).shape.back()},
              {"input_shape", {in.info(name).shape[name == "/images" ? 1 : 2], in.info(name).shape[name == "/images" ? 2 : 3]}},
              {"normalize", {{"mean", mean}, {"std", stdev}}},
              {"temperature", o.temperature},
              {"optimizer", o.optimizer},
              {"lr", o.lr},
              {"weight_decay", o.weight_decay},
              {"batch", o.batch},
              {"epochs", o.epochs},
              {"time_budget", o.time_budget},
              {"warmup", o.warmup},
              {"recipe", o.recipe.empty() ? default_recipe(o.method) : o.recipe},
              {"strength", o.strength},
              {"seed", o.seed},
              {"precision", nn::dtype_name(dt)}};
  }
  mp.arch = config["arch"];
  mp.in_channels = config["in_channels"];
  mp.temperature = config["temperature"];
  mean = config["normalize"]["mean"];
  stdev = config["normalize"]["std"];
  const std::string method_name = config["method"];
  const uint64_t seed = config["seed"];
  const int batch = config["batch"];
  Rng init_rng(seed, 0x1417);
  auto method = methods::make_method(method_name, mp, init_rng);
  auto opt = make_optimizer(config["optimizer"], *method, config["lr"], config["weight_decay"]);
  if (!o.resume.empty()) {
    extras.optimizer = opt->state();
    load_checkpoint(o.resume, *method, &extras);
    start_step = extras.step;
    opt->set_steps(start_step);
  }
  const augment::Recipe recipe = augment::make_recipe(config["recipe"], config["strength"]);
  Loader loader(in, *method, recipe, batch, seed, mean, stdev, start_step);
  const int epochs = config["epochs"];
  const double budget = o.resume.empty() ? o.time_budget : (o.time_budget > 0 ? o.time_budget : double(config["time_budget"]));
  const int64_t total_steps =
      epochs > 0 ? epochs * loader.steps_per_epoch() : (budget > 0 ? 0 : 10 * loader.steps_per_epoch());
  const double base_lr = config["lr"], warmup = config["warmup"];

  std::ofstream log;
  if (!o.log_json.empty()) log.open(o.log_json, std::ios::app);
  io::catch_interrupts();
  auto save = [&](int64_t step) {
    CheckpointExtras x = extras;
    x.config = config.dump();
    x.optimizer = opt->state();
    x.step = step;
    x.epoch = step / loader.steps_per_epoch();
    x.history = in.history();
    x.history.push_back(o.command_line);
    std::lock_guard<std::mutex> l(g_hdf5);
    save_checkpoint(o.output, *method, x);
  };
  method->set_training(true);
  const auto t0 = std::chrono::steady_clock::now();
  Progress progress("pretrain " + method_name, total_steps > 0 ? static_cast<size_t>(total_steps - start_step) : 0, "steps");
  int64_t step = start_step;
  double images_per_s = 0;
  for (;; ++step) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (total_steps > 0 && step >= total_steps) break;
    if (total_steps == 0 && elapsed >= budget) break;
    if (o.max_steps > 0 && step - start_step >= o.max_steps) break;
    if (io::interrupt_requested()) {
      save(step);
      throw Error(o.output, "interrupted at step " + std::to_string(step) + "; checkpoint written, continue with --resume");
    }
    // Schedule by steps, or by elapsed time under a time budget.
    const double frac = total_steps > 0 ? static_cast<double>(step) / total_steps : elapsed / budget;
    double lr = frac < warmup ? base_lr * (frac + 1e-3) / warmup
                              : base_lr * 0.5 * (1 + std::cos(M_PI * std::min(1.0, (frac - warmup) / (1 - warmup))));
    opt->set_lr(lr);
    auto ts = std::chrono::steady_clock::now();
    HostBatch hb = loader.next();
    methods::Batch b;
    for (auto& t : hb.views) b.views.emplace_back(t.to(dt));
    b.pretext = hb.pretext;
    nn::Var loss = method->loss(b);
    const float lv = loss.value().item();
    if (!std::isfinite(lv)) {
      throw Error(o.output, "loss is " + std::string(std::isnan(lv) ? "NaN" : "infinite") + " at step " +
                                std::to_string(step) + "; stopped, the last checkpoint (if any) is kept; try a lower --lr");
    }
    opt->zero_grad();
    loss.backward();
    opt->step();
    method->after_step(step, total_steps > 0 ? total_steps : std::max<int64_t>(step + 1, 1000));
    const double dts = std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count();
    images_per_s = batch / dts;
    extras.loss.push_back(lv);
    extras.lr.push_back(static_cast<float>(lr));
    char note[128];
    std::snprintf(note, sizeof note, "loss %.4f lr %.2e %.0f img/s", lv, lr, images_per_s);
    progress.set_note(note);
    progress.advance(1);
    if (log.is_open())
      log << json{{"step", step}, {"loss", lv}, {"lr", lr}, {"images_per_s", images_per_s}}.dump() << "\n" << std::flush;
    if (step % 50 == 0) {
      double s = collapse_std(method->last_embedding);
      const double healthy = 1.0 / std::sqrt(std::max<int64_t>(1, method->last_embedding.dim(-1)));
      if (s >= 0 && s < 0.1 * healthy)
        warn("step " + std::to_string(step) + ": embeddings are collapsing (per-dimension std " + std::to_string(s) +
             ", healthy about " + std::to_string(healthy) + ")");
    }
    if (o.checkpoint_every > 0 && (step + 1) % o.checkpoint_every == 0) save(step + 1);
  }
  progress.finish();
  save(step);
}

}  // namespace sslkit::train
