#include "core/threads.hpp"

#include <omp.h>
#include <opencv2/core/utility.hpp>

namespace sslkit {

static int g_threads = 1;

int set_thread_count(int threads) {
  if (threads <= 0) threads = omp_get_num_procs();
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
