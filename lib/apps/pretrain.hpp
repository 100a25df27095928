// ssl-pretrain's body: the run that train/pretrain_config resolves, built
// and trained by the one trainer (train/trainer) with its hooks: EMA
// targets, the loss history, the JSON log, the collapse monitor, kNN and
// held-out scores, reconstructions, checkpoints (periodic, final, on
// SIGINT/SIGTERM), and resume that continues one training.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace sslkit::train {

struct PretrainRequest {
  std::string input, output;
  nlohmann::ordered_json given = nlohmann::ordered_json::object();  // options given, by flag ({"--lr": 0.01})
  std::string command_line;
};

void run_pretrain(const PretrainRequest& request);

}  // namespace sslkit::train
