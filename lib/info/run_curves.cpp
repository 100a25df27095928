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
#include "io/files.hpp"

namespace sslkit::info {

RunCurves curves_of_model(const io::ModelReader& m, const std::string& name) {
  RunCurves r;
  r.source = m.name();
  r.name = name;
  const nlohmann::json config = nlohmann::json::parse(m.config(), nullptr, /*allow_exceptions=*/false);
  if (config.is_object() && config.contains("run_id") && config["run_id"].is_string()) r.run_id = config["run_id"];
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
  // Through InputFile: sniffing a pipe (<(command)) would eat what it holds.
  const io::InputFile in(path);
  std::ifstream f(in.path(), std::ios::binary);
  char c = 0;
  while (f.get(c) && std::isspace(static_cast<unsigned char>(c))) {
  }
  return f && c == '{';
}

std::vector<RunCurves> read_training_log(const std::string& open_path, const std::string& display) {
  const std::string& path = display.empty() ? open_path : display;
  const io::InputFile in(open_path);  // a pipe: the spool is_training_log made
  std::ifstream f(in.path(), std::ios::binary);
  if (!f) throw Error(path, std::strerror(errno));
  if (std::filesystem::is_directory(in.path())) throw Error(path, std::strerror(EISDIR));
  // Per run, by step, so a repeated step keeps its last line and the series come out in order.
  struct Points {
    std::map<int64_t, float> loss;
    std::map<int64_t, std::pair<float, float>> knn, knn20;
  };
  std::vector<std::pair<std::string, Points>> runs;  // in order of first appearance
  auto run = [&](const std::string& id) -> Points& {
    for (auto& [i, p] : runs)
      if (i == id) return p;
    return runs.emplace_back(id, Points{}).second;
  };
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
    Points& p = run(j.contains("run_id") && j["run_id"].is_string() ? j["run_id"].get<std::string>() : "");
    const int64_t step = j["step"].get<int64_t>();
    if (number(j, "loss")) p.loss[step] = j["loss"].get<float>();
    if (!number(j, "seconds")) continue;
    const float secs = j["seconds"].get<float>();
    if (number(j, "monitor_knn")) p.knn[step] = {secs, j["monitor_knn"].get<float>()};
    if (number(j, "monitor_knn20")) p.knn20[step] = {secs, j["monitor_knn20"].get<float>()};
  }
  if (f.bad()) throw Error(path, std::string("read failed: ") + std::strerror(errno));
  // A run with no step line (its first lines cut off, say) has no curve to draw.
  std::erase_if(runs, [](const auto& r) { return r.second.loss.empty(); });
  if (runs.empty())
    throw Error(path, "no training steps in it (lines with \"step\" and \"loss\", as ssl-pretrain --log-json writes)");
  std::vector<RunCurves> out;
  for (const auto& [id, p] : runs) {
    RunCurves& r = out.emplace_back();
    r.source = path;
    r.run_id = id;
    r.name = std::filesystem::path(path).stem().string();
    if (runs.size() > 1) r.name += " run " + (id.empty() ? std::string("without id") : id);
    for (auto [step, v] : p.loss) {
      r.loss.x.push_back(static_cast<float>(step + 1));
      r.loss.y.push_back(v);
    }
    for (auto [series, points] : {std::pair{&r.knn, &p.knn}, std::pair{&r.knn20, &p.knn20}})
      for (auto& [step, q] : *points) {
        series->x.push_back(q.first);
        series->y.push_back(q.second);
      }
  }
  return out;
}

}  // namespace sslkit::info
