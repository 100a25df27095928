#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <optional>

#include "core/dist.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "io/files.hpp"
#include "train/gradient_sync.hpp"

namespace sslkit::train {

double Schedule::lr(double f, double step) const {
  f = std::clamp(f, 0.0, 1.0);
  if (warmup > 0 && f < warmup) return base_lr * std::min(1.0, (f + step) / warmup);
  const double t = warmup >= 1 ? 1.0 : std::min(1.0, (f - warmup) / (1 - warmup));
  return final_lr + (base_lr - final_lr) * 0.5 * (1 + std::cos(M_PI * t));
}

double schedule_fraction(const Budget& b, int64_t step, double seconds) {
  if (b.total_steps > 0) return std::min(1.0, static_cast<double>(step) / b.total_steps);
  return b.seconds > 0 ? std::min(1.0, seconds / b.seconds) : 0.0;
}

void check_run_length(bool epochs_given, bool time_budget_given) {
  if (epochs_given && time_budget_given)
    throw UsageError("--epochs and --time-budget both say when training ends: give one of them (the learning-rate "
                     "schedule follows the steps of the epochs or the seconds of the budget)");
}

namespace {

bool all_finite(const nn::Tensor& x) {
  if (!x.defined() || x.numel() == 0) return true;
  const nn::Tensor f = x.to(nn::DType::f32);
  const float* v = f.f32();
  for (int64_t i = 0; i < f.numel(); ++i)
    if (!std::isfinite(v[i])) return false;
  return true;
}

// Whether the samples a batch feeds the model are finite: a NaN loss from a
// NaN clip is the data's fault, and a lower --lr would not help.
bool batch_finite(const methods::Batch& b) {
  for (const auto& v : b.views)
    if (!all_finite(v.value())) return false;
  return all_finite(b.audio.audio);
}

}  // namespace

TrainResult train(const TrainLoop& t) {
  using clock = std::chrono::steady_clock;
  auto since = [](clock::time_point a) { return std::chrono::duration<double>(clock::now() - a).count(); };
  const Budget& b = t.budget;
  SSLKIT_CHECK(b.total_steps > 0 || b.seconds > 0, "a run needs steps or a time budget");
  const auto t0 = clock::now();
  auto seconds = [&] { return b.seconds_done + since(t0); };
  const size_t planned = b.total_steps > 0 ? static_cast<size_t>(std::max<int64_t>(0, b.total_steps - t.start_step)) : 0;
  std::optional<Progress> progress;
  if (!t.progress.empty()) progress.emplace(t.progress, planned, "steps");
  TrainResult r;
  double waited = 0, stepped = 0;
  int64_t step = t.start_step;
  const bool several = dist::size() > 1;
  std::vector<nn::Var*> params;
  for (const auto& g : t.optimizer->groups()) params.insert(params.end(), g.params.begin(), g.params.end());
  GradientSync sync(std::move(params));
  for (;; ++step) {
    const dist::CommStats comm0 = dist::comm_stats();
    double spent = seconds();
    int sig = io::interrupt_requested();
    if (several) {
      // Rank 0's clock and interrupt decide for every rank, so all stop at
      // the same step and follow the same schedule; an interrupt that
      // reached another rank alone stops the job too.
      double c[3] = {dist::is_root() ? spent : 0.0, dist::is_root() ? double(sig) : 0.0, dist::is_root() ? 0.0 : double(sig)};
      dist::allreduce_sum(c, 3);
      spent = c[0];
      sig = c[1] > 0 ? static_cast<int>(c[1]) : (c[2] > 0 ? SIGTERM : 0);
    }
    if (b.total_steps > 0 ? step >= b.total_steps : spent >= b.seconds) break;
    if (b.max_steps > 0 && step - t.start_step >= b.max_steps) break;
    if (sig) {
      if (t.checkpoint) t.checkpoint(step, spent);
      throw Interrupted(sig, t.subject + ": interrupted at step " + std::to_string(step) +
                                 (t.checkpoint ? "; checkpoint written, continue with --resume" : ""));
    }
    const double fraction = schedule_fraction(b, step, spent),
                 lr = t.schedule.lr(fraction, b.total_steps > 0 ? 1.0 / static_cast<double>(b.total_steps) : 0.0);
    t.optimizer->set_lr(lr);
    const auto ts = clock::now();

    methods::Batch batch = t.next_batch();
    const double wait = since(ts);
    nn::Var loss = t.loss(batch);
    float lv = loss.value().item();
    double grad_scale = 1;
    if (several) {
      // The global batch's loss, and this rank's share of its gradient.
      const double w = t.loss_weight ? t.loss_weight(batch) : 1.0;
      double sums[2] = {static_cast<double>(lv) * w, w};
      dist::allreduce_sum(sums, 2);
      lv = static_cast<float>(sums[0] / sums[1]);
      grad_scale = w / sums[1];
    }
    if (!std::isfinite(lv)) {
      // Checked only now, so a finite run pays nothing for it.
      double bad = batch_finite(batch) ? 0 : 1;  // on any rank
      if (several) dist::allreduce_sum(&bad, 1);
      if (bad > 0)
        throw Error(t.data.empty() ? t.subject : t.data,
                    "non-finite samples in the input batch at step " + std::to_string(step) +
                        "; stopped, the last checkpoint (if any) is kept; ssl-info --verify finds the rows");
      throw Error(t.subject, "loss is " + std::string(std::isnan(lv) ? "NaN" : "infinite") + " at step " +
                                 std::to_string(step) + " on a finite batch; stopped, the last checkpoint (if any) is kept; " +
                                 "try a lower --lr");
    }
    t.optimizer->zero_grad();
    loss.backward();
    sync.all_reduce(grad_scale);  // the one exchange of gradients (a no-op in one process)
    t.optimizer->step();

    const double dt = since(ts);
    waited += wait;
    stepped += dt;
    r.last_loss = lv;
    StepReport report{step, lv, lr, fraction, seconds(), dt, wait};
    report.comm_seconds = dist::comm_stats().seconds - comm0.seconds;
    report.comm_bytes = dist::comm_stats().bytes - comm0.bytes;
    for (const auto& hook : t.after_step) hook(report);
    char note[96];
    std::snprintf(note, sizeof note, "loss %.4f lr %.2e %.2f s/step", lv, lr, dt);
    if (progress) {
      progress->set_note(note);
      progress->advance(1);
    }
    if (t.checkpoint && t.checkpoint_every > 0 && (step + 1) % t.checkpoint_every == 0) t.checkpoint(step + 1, seconds());
  }
  if (progress) progress->finish();
  r.step = step;
  r.seconds = seconds();
  r.wait_fraction = stepped > 0 ? waited / stepped : 0;
  return r;
}

}  // namespace sslkit::train
