// The worker thread count, fixed once at start-up (oneDNN reads it when a
// primitive is created, so it must not change afterwards).
#pragma once

namespace sslkit {

// Sets the OpenMP thread count used by every parallel loop in sslkit;
// 0 means one per available core. Returns the count in effect.
int set_thread_count(int threads);
int thread_count();

}  // namespace sslkit
