// ssl-info's options without reading a file: the job each command line
// asks for, what each job refuses, and the defaults it runs with.
#include <doctest/doctest.h>

#include <iterator>
#include <set>

#include "core/error.hpp"
#include "info/info_options.hpp"

using namespace sslkit;
using json = nlohmann::ordered_json;

namespace {
const std::vector<std::string> kOne{"m.h5"}, kTwo{"a.jsonl", "b.h5"}, kLog{"run.jsonl"};

std::string refusal(const json& given, const std::vector<std::string>& inputs = kOne, bool log = false) {
  try {
    info::resolve_info(given, inputs, log);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("info options the job does not use are refused naming the option and why") {
  struct Case {
    json given;
    std::vector<std::string> inputs;
    bool log;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{{"--json", true}}, kLog, true, "--json describes one data or model file; run.jsonl is a training log"},
      {{{"--preview", "p.png"}, {"--json", true}}, kTwo, false,
       "--json describes one data or model file; 2 files are drawn together as training curves"},
      {{{"--reconstruct", "g.h5"}, {"--preview", "p.png"}, {"--json", true}}, kOne, false,
       "--json describes one data or model file; --reconstruct only draws its images"},
      {{{"--predict", "a [MASK]"}, {"--preview", "p.png"}}, kOne, false,
       "--preview draws a data file's samples, training curves or --reconstruct's images; --predict only prints "
       "its guesses"},
      {{{"--preview-count", 3}}, kLog, true,
       "--preview-count counts the samples of a data file's --preview or of --reconstruct; run.jsonl is a "
       "training log"},
      {{{"--predict", "a [MASK]"}, {"--preview-count", 3}}, kOne, false,
       "--preview-count counts the samples of a data file's --preview or of --reconstruct; --predict only prints "
       "its guesses"},
      {{{"--preview-count", 3}}, kOne, false,
       "--preview-count counts the samples of a data file's --preview or of --reconstruct; neither --preview nor "
       "--reconstruct is given"},
      {{{"--reference", json::array({"raw=0.5"})}}, kLog, true,
       "--reference draws on the training curves of --preview; --preview is not given"},
      {{{"--reconstruct", "g.h5"}, {"--preview", "p.png"}, {"--reference", json::array({"raw=0.5"})}}, kOne, false,
       "--reference draws on the training curves of --preview; --reconstruct draws images, not curves"},
      {{{"--preview", "p.png"}, {"--verify", true}}, kTwo, false,
       "--verify checks one data or model file; 2 files are drawn together as training curves"},
      {{{"--predict", "a [MASK]"}, {"--verify", true}}, kOne, false,
       "--verify checks one data or model file; --predict only prints its guesses"},
      {{{"--reconstruct", "g.h5"}, {"--preview", "p.png"}, {"--verify", true}}, kOne, false,
       "--verify checks one data or model file; --reconstruct only draws its images"},
      {{{"--predict", "a [MASK]"}}, kLog, true,
       "--predict asks one masked language model; run.jsonl is a training log"},
      {{{"--top", 3}}, kOne, false, "--top counts the tokens listed by --predict; --predict is not given"},
      {{{"--reconstruct", "g.h5"}}, kOne, false, "--reconstruct draws into the --preview PNG; --preview is not given"},
      {{{"--preview", "p.png"}, {"--reconstruct", "g.h5"}}, kTwo, false,
       "--reconstruct draws into the --preview PNG; 2 files are drawn together as training curves"},
  };
  std::set<std::string> refused;
  for (const Case& c : cases) {
    CAPTURE(c.given.dump());
    CHECK(refusal(c.given, c.inputs, c.log) == c.message);
    refused.insert(std::prev(c.given.end()).key());
  }
  // Every rule has its case above.
  for (const info::InfoRow& r : info::info_options())
    if (r.unless) {
      CAPTURE(r.spec.flag);
      CHECK(refused.count(r.spec.flag) == 1);
    }
  // Pairs and jobs without what they need.
  CHECK(refusal({{"--predict", "a [MASK]"}, {"--reconstruct", "g.h5"}, {"--preview", "p.png"}}) ==
        "--reconstruct and --predict exclude each other");
  CHECK(refusal({{"--predict", " \t"}}).rfind("--predict wants a sentence with [MASK] in it", 0) == 0);
  CHECK(refusal(json::object(), kTwo) ==
        "several files are drawn together as training curves: give --preview curves.png");
  // Where they apply they are taken.
  CHECK(refusal({{"--json", true}, {"--verify", true}, {"--preview", "p.png"}, {"--preview-count", 9}}).empty());
  CHECK(refusal({{"--preview", "c.png"}, {"--reference", json::array({"raw=0.5"})}}, kTwo).empty());
  CHECK(refusal({{"--preview", "c.png"}, {"--reference", json::array({"raw=0.5"})}}, kLog, true).empty());
  CHECK(refusal({{"--predict", "a [MASK]"}, {"--top", 3}, {"--json", true}}).empty());
  CHECK(refusal({{"--reconstruct", "g.h5"}, {"--preview", "r.png"}, {"--preview-count", 3}}).empty());
  CHECK(refusal(json::object(), kLog, true).empty());
}

TEST_CASE("info options choose one job and reach it with its defaults") {
  const info::InfoRun plain = info::resolve_info(json::object(), kOne, false);
  CHECK(plain.job == info::InfoRun::Job::describe);
  CHECK(plain.options.input == "m.h5");
  CHECK(plain.options.preview_count == 0);  // the data preview's own 64
  CHECK_FALSE(plain.options.json);
  CHECK(plain.top == 5);
  CHECK(plain.reconstruct_count == 8);

  const info::InfoRun curves =
      info::resolve_info({{"--preview", "c.png"}, {"--reference", json::array({"a=0.5", "b=0.7"})}}, kTwo, false);
  CHECK(curves.job == info::InfoRun::Job::curves);
  CHECK(curves.inputs == kTwo);
  CHECK(curves.options.references == std::vector<std::string>{"a=0.5", "b=0.7"});
  CHECK(info::resolve_info(json::object(), kLog, true).job == info::InfoRun::Job::curves);

  const info::InfoRun predict = info::resolve_info({{"--predict", "a [MASK]"}, {"--top", 2}}, kOne, false);
  CHECK(predict.job == info::InfoRun::Job::predict);
  CHECK(predict.sentence == "a [MASK]");
  CHECK(predict.top == 2);

  const info::InfoRun recon =
      info::resolve_info({{"--reconstruct", "g.h5"}, {"--preview", "r.png"}, {"--preview-count", 3}}, kOne, false);
  CHECK(recon.job == info::InfoRun::Job::reconstruct);
  CHECK(recon.images == "g.h5");
  CHECK(recon.reconstruct_count == 3);
  CHECK(info::resolve_info({{"--reconstruct", "g.h5"}, {"--preview", "r.png"}}, kOne, false).reconstruct_count == 8);

  const info::InfoRun data = info::resolve_info({{"--preview", "p.png"}, {"--preview-count", 12}}, kOne, false);
  CHECK(data.job == info::InfoRun::Job::describe);
  CHECK(data.options.preview_count == 12);
}
