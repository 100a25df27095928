#include "info/run_curves.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <utility>

#include "core/error.hpp"

namespace sslkit::info {

RunCurves curves_of_model(const io::ModelReader& m, const std::string& name) {
  RunCurves r;
  r.source = m.name();
  r.name = name;
  r.loss.y = m.series("loss");
  for (size_t i = 0; i < r.loss.y.size(); ++i) r.loss.x.push_back(static_cast<float>(i + 1));
  const std::vector<float> secs = m.series("monitor_seconds");
  for (auto [series, key] : {std::pair{&r.knn, "monitor_knn"}, std::pair{&r.knn20, "monitor_knn20"}}) {
    std::vector<float> acc = m.series(key);
    if (!acc.empty() && acc.size() == secs.size()) *series = Series{secs, std::move(acc)};
  }
  return r;
}

bool is_training_log(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".jsonl" || ext == ".json") return true;
  if (path == "-") return false;
  std::ifstream f(path, std::ios::binary);
  char c = 0;
  while (f.get(c) && std::isspace(static_cast<unsigned char>(c))) {
  }
  return f && c == '{';
}

RunCurves read_training_log(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path, std::strerror(errno));
  if (std::filesystem::is_directory(path)) throw Error(path, std::strerror(EISDIR));
  // By step, so a repeated step keeps its last line and the series come out in order.
  std::map<int64_t, float> loss;
  std::map<int64_t, std::pair<float, float>> knn, knn20;
  auto number = [](const nlohmann::json& j, const char* key) { return j.contains(key) && j[key].is_number(); };
  std::string line;
  for (int64_t n = 1; std::getline(f, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
      // A run still writing may be read in the middle of its last line.
      if (f.eof()) break;
      throw Error(path, "line " + std::to_string(n) + " is not a JSON object (ssl-pretrain --log-json writes one a line)");
    }
    if (!number(j, "step")) continue;
    const int64_t step = j["step"].get<int64_t>();
    if (number(j, "loss")) loss[step] = j["loss"].get<float>();
    if (!number(j, "seconds")) continue;
    const float secs = j["seconds"].get<float>();
    if (number(j, "monitor_knn")) knn[step] = {secs, j["monitor_knn"].get<float>()};
    if (number(j, "monitor_knn20")) knn20[step] = {secs, j["monitor_knn20"].get<float>()};
  }
  if (f.bad()) throw Error(path, std::string("read failed: ") + std::strerror(errno));
  if (loss.empty())
    throw Error(path, "no training steps in it (lines with \"step\" and \"loss\", as ssl-pretrain --log-json writes)");
  RunCurves r;
  r.source = path;
  r.name = std::filesystem::path(path).stem().string();
  for (auto [step, v] : loss) {
    r.loss.x.push_back(static_cast<float>(step + 1));
    r.loss.y.push_back(v);
  }
  for (auto [series, points] : {std::pair{&r.knn, &knn}, std::pair{&r.knn20, &knn20}})
    for (auto& [step, p] : *points) {
      series->x.push_back(p.first);
      series->y.push_back(p.second);
    }
  return r;
}

}  // namespace sslkit::info
