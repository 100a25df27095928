// Synchronised batch norm: in training mode, batch norm takes its statistics
// over the global batch of every rank of the MPI job (core/dist) instead of
// the rank's own rows, with the backward that goes with them (PyTorch's
// SyncBatchNorm). A switch like grad mode: ssl-pretrain turns it on for a
// run with --sync-bn over K > 1 ranks. Its own header so the files that
// include nn/ops.hpp do not rebuild for it.
//
// While on, every batchnorm/batchnorm_relu call in training mode is a
// collective: every rank must make the same calls in the same order (the
// trainer's SPMD loop does), and so must their backwards (the same graph).
// Eval mode uses the running statistics and communicates nothing.
#pragma once

namespace sslkit::nn {

bool sync_batchnorm_enabled();

// On (or off) for the scope's lifetime; the previous setting comes back after.
class SyncBatchNorm {
 public:
  explicit SyncBatchNorm(bool on);
  ~SyncBatchNorm();
  SyncBatchNorm(const SyncBatchNorm&) = delete;
  SyncBatchNorm& operator=(const SyncBatchNorm&) = delete;

 private:
  bool prev_;
};

}  // namespace sslkit::nn
