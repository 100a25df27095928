// Per-op wall time, for "where does the step go" reports. Off unless
// enabled (SSLKIT_PROFILE=1 or enable_profile()); an OpTimer then adds the
// time of its scope to its op's row. SSLKIT_PROFILE=2 splits the rows of
// the ops that say what they work on (convolutions, linear layers,
// matmuls, batchnorm) by shape: a per-layer profile. Rows nest: "reorder"
// (layout and dtype conversions of weights) and "grad.accumulate" are also
// inside the row of the op that called them.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "nn/tensor.hpp"

namespace sslkit::nn {

void enable_profile(bool on);
bool profile_enabled();
bool profile_per_layer();  // SSLKIT_PROFILE=2
// "[256,28,28,32] * [32,32,3,3]": the row name of an op on two operands (an
// input and its weights) at SSLKIT_PROFILE=2; empty below, where no row
// is split, so an op builds it once and its backward reuses it.
std::string layer_label(const Shape& a, const Shape& b);
void profile_reset();
struct ProfileRow {
  std::string op;
  double seconds;
  long calls;
};
// Rows sorted by time, descending.
std::vector<ProfileRow> profile_rows();

// The dense ops' work (conv, linear, matmul: 2 FLOPs per multiply-add,
// forward and backward), counted on every call whether the profile is on or
// not (one addition each): bench_engine reports a step's work and its
// fraction of the machine's peak from it. A convolution counts its direct
// FLOPs whatever algorithm ran, so a Winograd kernel shows as a higher rate.
void count_flops(double flops);
double flops_counted();
void flops_reset();

class OpTimer {
 public:
  explicit OpTimer(const char* op) : op_(profile_enabled() ? op : nullptr) {
    if (op_) start_ = std::chrono::steady_clock::now();
  }
  // `layer` (a shape, say) names the row apart from the op's others at
  // SSLKIT_PROFILE=2; ignored below that.
  OpTimer(const char* op, const std::string& layer) : OpTimer(op) {
    if (op_ && profile_per_layer()) layer_ = layer;
  }
  ~OpTimer();
  OpTimer(const OpTimer&) = delete;
  OpTimer& operator=(const OpTimer&) = delete;

 private:
  const char* op_;
  std::string layer_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace sslkit::nn
