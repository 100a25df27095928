#include "nn/profile.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>

namespace sslkit::nn {

namespace {
std::mutex g_mutex;
std::map<std::string, ProfileRow>& table() {
  static std::map<std::string, ProfileRow> t;
  return t;
}
std::atomic<double> g_flops{0.0};
int g_level = [] {
  const char* e = std::getenv("SSLKIT_PROFILE");
  return e && *e ? std::atoi(e) : 0;
}();
}  // namespace

void enable_profile(bool on) { g_level = on ? std::max(g_level, 1) : 0; }
bool profile_enabled() { return g_level > 0; }
bool profile_per_layer() { return g_level > 1; }
std::string layer_label(const Shape& a, const Shape& b) {
  return profile_per_layer() ? shape_str(a) + " * " + shape_str(b) : std::string();
}

void count_flops(double flops) { g_flops.fetch_add(flops, std::memory_order_relaxed); }
double flops_counted() { return g_flops.load(std::memory_order_relaxed); }
void flops_reset() { g_flops.store(0.0, std::memory_order_relaxed); }

void profile_reset() {
  std::lock_guard<std::mutex> lock(g_mutex);
  table().clear();
}

std::vector<ProfileRow> profile_rows() {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::vector<ProfileRow> rows;
  for (auto& [k, r] : table()) rows.push_back(r);
  std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.seconds > b.seconds; });
  return rows;
}

OpTimer::~OpTimer() {
  if (!op_) return;
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::lock_guard<std::mutex> lock(g_mutex);
  const std::string key = layer_.empty() ? std::string(op_) : std::string(op_) + " " + layer_;
  auto& r = table()[key];
  r.op = key;
  r.seconds += s;
  r.calls += 1;
}

}  // namespace sslkit::nn
