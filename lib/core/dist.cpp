#include "core/dist.hpp"

// The C API only: Open MPI's mpi.h otherwise pulls in its deprecated C++
// bindings, which need libmpi_cxx (CMake links MPI::MPI_C).
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "core/error.hpp"
#include "core/log.hpp"

namespace sslkit::dist {

namespace {
bool g_active = false;
int g_rank = 0;
int g_size = 1;
CommStats g_stats;
std::function<void()> g_cleanup;

// mpirun (Open MPI), srun --mpi=pmix and PMI-2 launchers each leave one of
// these in every process they start; a process started by hand has none.
bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(var)) return true;
  return false;
}

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

// Every MPI call goes through here: MPI_ERRORS_RETURN makes an error a return
// code (Open MPI's default handler would abort with a banner, or a broken
// peer could leave the others waiting), and a failed collective cannot be
// retried without the other ranks, so the job ends.
void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  MPI_Error_string(rc, text, &len);
  abort_job(std::string("MPI: ") + call + " failed: " + text);
}

// Times one collective and counts its payload.
class Timed {
 public:
  explicit Timed(size_t bytes) : start_(std::chrono::steady_clock::now()) {
    g_stats.bytes += bytes;
    ++g_stats.calls;
  }
  ~Timed() {
    g_stats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// MPI counts are ints: a buffer past 2^31 elements goes in pieces.
constexpr size_t kMaxCount = static_cast<size_t>(INT_MAX) / 2;

template <class T>
void allreduce_in_place(T* data, size_t n, MPI_Datatype type) {
  if (g_size == 1 || n == 0) return;
  Timed t(n * sizeof(T));
  for (size_t at = 0; at < n; at += kMaxCount) {
    const int count = static_cast<int>(std::min(kMaxCount, n - at));
    check(MPI_Allreduce(MPI_IN_PLACE, data + at, count, type, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  }
}
}  // namespace

void init(int& argc, char**& argv) {
  if (g_active || !launched_by_mpi()) return;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    // OpenMP threads work inside a rank; only the main thread calls MPI.
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
      std::fprintf(stderr, "%s: error: MPI: MPI_Init_thread failed\n", tool_name().c_str());
      std::fflush(stderr);
      _exit(1);
    }
    std::atexit(finalize_at_exit);
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  g_active = true;
}

bool active() { return g_active; }
int rank() { return g_rank; }
int size() { return g_size; }
bool is_root() { return g_rank == 0; }

void allreduce_sum(float* data, size_t n) { allreduce_in_place(data, n, MPI_FLOAT); }
void allreduce_sum(double* data, size_t n) { allreduce_in_place(data, n, MPI_DOUBLE); }
void allreduce_sum(int64_t* data, size_t n) { allreduce_in_place(data, n, MPI_INT64_T); }

void allgather(const float* send, size_t n, float* recv) {
  if (g_size == 1) {
    std::copy(send, send + n, recv);
    return;
  }
  if (n > kMaxCount) abort_job("MPI: allgather of " + std::to_string(n) + " values per rank is too large");
  Timed t(n * sizeof(float));
  check(MPI_Allgather(send, static_cast<int>(n), MPI_FLOAT, recv, static_cast<int>(n), MPI_FLOAT, MPI_COMM_WORLD),
        "MPI_Allgather");
}

void reduce_scatter_sum(const float* send, float* recv, size_t n) {
  if (g_size == 1) {
    std::copy(send, send + n, recv);
    return;
  }
  if (n > kMaxCount) abort_job("MPI: reduce-scatter of " + std::to_string(n) + " values per rank is too large");
  Timed t(n * g_size * sizeof(float));
  check(MPI_Reduce_scatter_block(send, recv, static_cast<int>(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
        "MPI_Reduce_scatter_block");
}

void broadcast(void* data, size_t bytes, int root) {
  if (g_size == 1 || bytes == 0) return;
  Timed t(bytes);
  auto* p = static_cast<char*>(data);
  for (size_t at = 0; at < bytes; at += kMaxCount) {
    const int count = static_cast<int>(std::min(kMaxCount, bytes - at));
    check(MPI_Bcast(p + at, count, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
  }
}

void barrier() {
  if (g_size == 1) return;
  Timed t(0);
  check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

void on_abort(std::function<void()> cleanup) { g_cleanup = std::move(cleanup); }

void abort_job(const std::string& message, int code) {
  if (!g_active || g_size == 1) throw Error("", message);
  if (g_cleanup) {
    auto cleanup = std::move(g_cleanup);
    g_cleanup = nullptr;
    try {
      cleanup();
    } catch (...) {
    }
  }
  // An error every rank meets alike (an unreadable input, a bad option) is
  // reported once, by rank 0, which aborts the job at once; another rank
  // speaks only if the job is still running a moment later, i.e. its error
  // is its own.
  if (g_rank != 0) std::this_thread::sleep_for(std::chrono::seconds(1));
  std::fflush(stdout);
  if (!message.empty())  // empty: the line was printed already
    std::fprintf(stderr, "%s: error: rank %d: %s\n", tool_name().c_str(), g_rank, message.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  _exit(code);  // MPI_Abort does not return; should it, the rank still ends
}

const CommStats& comm_stats() { return g_stats; }
void reset_comm_stats() { g_stats = {}; }

}  // namespace sslkit::dist
