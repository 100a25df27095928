// The one training loop. ssl-pretrain, `ssl-finetune --mode full` and the
// linear probe all run train(): next batch, loss, zero grad, backward,
// step, after-step hooks. Everything else (the schedule, when to stop,
// checkpoints, interrupts, the NaN stop, progress, timing) lives beside it.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "methods/method.hpp"
#include "nn/optim.hpp"

namespace sslkit::train {

// Linear warmup over the first `warmup` fraction of training, then cosine
// decay from `base_lr` to `final_lr`. The fraction is steps done over total
// steps, or seconds spent over the time budget. Warmup never exceeds
// `base_lr` and reaches it exactly where it ends.
struct Schedule {
  double base_lr = 1e-3;
  double warmup = 0.05;
  double final_lr = 0;
  // `step`: the fraction one step covers when it is known (1 / total steps).
  // Warmup then gives the step at `fraction` the rate of the fraction at its
  // end, so step k of W warmup steps runs at (k + 1) / W of the base, as
  // llm.c and nanoGPT do: the first step is not wasted at 0 and the last
  // runs at the base. Under a time budget a step's length is not known
  // ahead (0): the plain fraction, as MAE's per-iteration schedule.
  double lr(double fraction, double step = 0) const;
};

// When a run ends: after `total_steps` (> 0), or when `seconds` of training
// are spent (total_steps == 0), counting `seconds_done` by earlier runs of
// the same training (resume); and after `max_steps` of this run (0 = none).
struct Budget {
  int64_t total_steps = 0;
  double seconds = 0;
  double seconds_done = 0;
  int64_t max_steps = 0;
};

// The one rule of ssl-pretrain and ssl-finetune: a run ends after its
// epochs or when its time budget is spent, never whichever comes first (the
// schedule follows one of them). Usage error when both are given.
void check_run_length(bool epochs_given, bool time_budget_given);

// What each after-step hook sees.
struct StepReport {
  int64_t step;            // the step just taken (0-based, global)
  float loss;
  double lr;
  double fraction;         // of the schedule, in [0, 1]
  double seconds;          // of training so far, earlier runs included
  double step_seconds;     // this step, data wait included
  double wait_seconds;     // of it, waiting for the batch
  // Of it, inside MPI's collectives (waiting for slower ranks included), and
  // the bytes this rank handed them: 0 in one process.
  double comm_seconds = 0;
  uint64_t comm_bytes = 0;
};

struct TrainResult {
  int64_t step = 0;        // steps done in all (the next step's index)
  double seconds = 0;      // of training, earlier runs included
  float last_loss = 0;
  double wait_fraction = 0;  // of this run's step time spent waiting for data
};

struct TrainLoop {
  nn::Optimizer* optimizer = nullptr;
  Schedule schedule;
  Budget budget;
  int64_t start_step = 0;
  std::string progress;    // progress label ("pretrain simclr"); empty: none
  std::string subject;     // names the run in errors (the output file)
  std::string data;        // names the training data when a batch itself is not finite (empty: subject)
  std::function<methods::Batch()> next_batch;
  std::function<nn::Var(const methods::Batch&)> loss;
  // In a job of several ranks: how many terms a batch's loss averages over
  // (loss_terms in train/gradient_sync.hpp), which weighs each rank's
  // gradient. Empty: every rank's weighs the same.
  std::function<double(const methods::Batch&)> loss_weight;
  std::vector<std::function<void(const StepReport&)>> after_step;
  // Writes a checkpoint of the state after `step` steps and `seconds` of
  // training: every `checkpoint_every` steps (0 = never) and on SIGINT or
  // SIGTERM (when io::catch_interrupts() is on), before exiting 128 + signal.
  std::function<void(int64_t step, double seconds)> checkpoint;
  int64_t checkpoint_every = 0;
};

// In a job of several ranks (core/dist) every rank runs train() on its own
// slice of each batch: rank 0 decides when to stop (its clock, its
// interrupts) for all of them each step, the reported loss is the global
// batch's, and the gradients are all-reduced once a step (GradientSync)
// before every rank takes the same optimizer step.
TrainResult train(const TrainLoop& t);

// The schedule fraction at `step` after `seconds` of training.
double schedule_fraction(const Budget& b, int64_t step, double seconds);

}  // namespace sslkit::train
