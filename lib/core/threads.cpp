#include "core/threads.hpp"

#include <omp.h>

#include <cstdlib>
#include <opencv2/core/utility.hpp>

namespace sslkit {

static int g_threads = 1;

int set_thread_count(int threads) {
  // 0: OMP_NUM_THREADS when it is set (a job sharing the machine, CTest
  // running two tests at once), else one per core.
  if (threads <= 0) {
    const char* env = std::getenv("OMP_NUM_THREADS");
    const int from_env = env ? std::atoi(env) : 0;
    threads = from_env > 0 ? from_env : omp_get_num_procs();
  }
  if (threads < 1) threads = 1;
  g_threads = threads;
  omp_set_num_threads(threads);
  // sslkit parallelises across samples; OpenCV's own pool inside each call
  // would only oversubscribe the cores.
  cv::setNumThreads(1);
  return g_threads;
}

int thread_count() { return g_threads; }

}  // namespace sslkit
