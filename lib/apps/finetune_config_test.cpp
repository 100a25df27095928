// ssl-finetune's options without running anything: what each mode takes,
// what it refuses, and the defaults the run reads.
#include <doctest/doctest.h>

#include <iterator>
#include <set>

#include "apps/finetune_config.hpp"
#include "core/error.hpp"

using namespace sslkit;
using json = nlohmann::ordered_json;

namespace {
std::string refusal(const json& given) {
  try {
    train::resolve_finetune(given);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("finetune options a mode does not use are refused naming the option and the mode") {
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"--k", 20}}, "--k goes with --mode knn; --mode is linear"},
      {{{"--mode", "full"}, {"--knn-temperature", 0.07}}, "--knn-temperature goes with --mode knn; --mode is full"},
      {{{"--knn-metric", "euclidean"}}, "--knn-metric goes with --mode knn; --mode is linear"},
      {{{"--mode", "knn"}, {"--epochs", 5}}, "--epochs goes with --mode linear or full; --mode is knn"},
      {{{"--arch", "resnet18"}}, "--arch goes with --mode full; --mode is linear"},
      {{{"--batch", 32}}, "--batch goes with --mode full; --mode is linear"},
      {{{"--mode", "knn"}, {"--time-budget", 5.0}}, "--time-budget goes with --mode full; --mode is knn"},
      {{{"--lr", 0.1}}, "--lr goes with --mode full; --mode is linear"},
      {{{"--backbone-lr-scale", 0.5}}, "--backbone-lr-scale goes with --mode full; --mode is linear"},
      {{{"--layer-decay", 0.5}}, "--layer-decay goes with --mode full; --mode is linear"},
      {{{"--weight-decay", 0.5}}, "--weight-decay goes with --mode full; --mode is linear"},
      {{{"--recipe", "flip(0.5)"}}, "--recipe goes with --mode full; --mode is linear"},
      {{{"--pool", "cls"}}, "--pool chooses a model's features: give --model; --mode is linear"},
      {{{"-o,--output", "m.h5"}}, "-o writes a fine-tuned model: use it with --mode full; --mode is linear"},
      {{{"--title", "x"}}, "--title names the --plot picture: give one; --plot is not given"},
  };
  std::set<std::string> refused;
  // Not a structured binding: clang 14 (make fuzz's compiler) cannot capture one in CAPTURE's lambda.
  for (const auto& row : cases) {
    const json& given = row.first;
    const std::string& message = row.second;
    CAPTURE(given.dump());
    CHECK(refusal(given) == message);
    refused.insert(std::prev(given.end()).key());
  }
  // Every rule has its case above.
  for (const train::FinetuneRow& r : train::finetune_options())
    if (r.unless) {
      CAPTURE(r.spec.flag);
      CHECK(refused.count(r.spec.flag) == 1);
    }
  // Pairs that exclude each other.
  CHECK(refusal({{"--model", "m.h5"}, {"--raw-pixels", true}}) == "--model and --raw-pixels exclude each other");
  CHECK(refusal({{"--mode", "knn"}, {"--knn-metric", "euclidean"}, {"--knn-temperature", 0.1}}).rfind(
            "--knn-temperature weights cosine votes", 0) == 0);
  // Where they apply they are taken.
  CHECK(refusal({{"--mode", "knn"}, {"--k", 20}, {"--knn-temperature", 0.07}}).empty());
  CHECK(refusal({{"--model", "m.h5"}, {"--pool", "mean"}}).empty());
  CHECK(refusal({{"--plot", "p.png"}, {"--title", "x"}}).empty());
}

TEST_CASE("finetune options reach the run with each mode's defaults") {
  const train::FullFinetuneOptions linear = train::resolve_finetune({{"--eval", "te.h5"}});
  CHECK(linear.report.mode == "linear");
  CHECK(linear.report.epochs == 100);
  CHECK(linear.report.eval == "te.h5");
  const train::FullFinetuneOptions full =
      train::resolve_finetune({{"--mode", "full"}, {"--lr", 0.05}, {"--batch", 16}, {"-o,--output", "m.h5"}});
  CHECK(full.epochs == 30);
  CHECK(full.lr == doctest::Approx(0.05));
  CHECK(full.batch == 16);
  CHECK(full.output == "m.h5");
  CHECK(full.given.count("--batch") == 1);
  CHECK(full.given.count("--output") == 1);
  CHECK(train::resolve_finetune({{"--mode", "full"}, {"--epochs", 3}}).epochs == 3);
}
