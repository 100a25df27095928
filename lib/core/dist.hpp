// The processes of one job (data-parallel training over MPI). Below nn: ops
// and the trainer both use it.
//
// Started without mpirun/srun there is one process (rank 0 of 1), every call
// is a cheap no-op and MPI is never initialised: a run without mpirun needs
// nothing of MPI at run time beyond the library being linked. Launched by
// mpirun or srun, init() joins MPI_COMM_WORLD.
//
// Every call is a collective that every rank makes in the same order; only
// the thread that called init() calls them (OpenMP threads inside a rank do
// not). An MPI error is never returned to the caller and never hangs: it ends
// the whole job with one line naming the rank (abort_job).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace sslkit::dist {

// Each tool's main, once, before anything else reads argv (lib/cli/tool.cpp
// does it). MPI only when launched by mpirun or srun; otherwise nothing.
void init(int& argc, char**& argv);
// Whether this process was launched as part of an MPI job (even of one rank).
bool active();

int rank();     // 0 .. size()-1
int size();
bool is_root();  // rank() == 0: the one process that writes files, the log, progress

// In place: every rank gets the element-wise sum over ranks.
void allreduce_sum(float* data, size_t n);
void allreduce_sum(double* data, size_t n);
void allreduce_sum(int64_t* data, size_t n);
// `send` holds n values; `recv` holds size()*n, rank 0's first (rank order).
void allgather(const float* send, size_t n, float* recv);
// `send` holds size()*n values; `recv` gets this rank's block of n of their
// sum over ranks: the backward of allgather.
void reduce_scatter_sum(const float* send, float* recv, size_t n);
void broadcast(void* data, size_t bytes, int root = 0);
void barrier();

// Ends the whole job from any rank with one line on stderr naming the rank
// ("ssl-pretrain: error: rank 1: MESSAGE") and exit code `code` from mpirun.
// `message` is what follows "error: " in a one-process run (empty: the line
// was printed already, by rank 0 alone). In a one-process
// run it throws sslkit::Error(message) instead, so the tool's usual cleanup and
// error line apply (there is no other process to end).
[[noreturn]] void abort_job(const std::string& message, int code = 1);
// Called once on this rank before abort_job ends the job (the tool removes
// its unfinished outputs there). Core cannot call io, so io's cleanup comes in
// through this hook.
void on_abort(std::function<void()> cleanup);

// What this rank sent through the collectives above since the last reset:
// payload bytes (what one rank hands to MPI, not what the algorithm moves on
// the wire), calls and wall time inside MPI (waiting for slower ranks too).
struct CommStats {
  uint64_t bytes = 0;
  uint64_t calls = 0;
  double seconds = 0;
};
const CommStats& comm_stats();
void reset_comm_stats();

}  // namespace sslkit::dist
