#include <doctest/doctest.h>

#include <fstream>

#include "core/error.hpp"
#include "info/curves.hpp"
#include "info/run_curves.hpp"
#include "io/test_util.hpp"

using namespace sslkit;

namespace {

std::string write(const testing::ScratchDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name, std::ios::binary) << text;
  return dir / name;
}

std::string error_of(const std::string& path) {
  try {
    info::read_training_log(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("read_training_log: loss by step - monitor scores by seconds - other lines passed over") {
  testing::ScratchDir dir;
  const std::string p = write(dir, "run-a.jsonl",
                              "{\"step\":0,\"loss\":6.0,\"lr\":0.1,\"seconds\":0.5}\n"
                              "{\"step\":1,\"loss\":5.0,\"seconds\":1.0}\n"
                              "{\"step\":1,\"seconds\":1.2,\"monitor_knn\":0.5,\"monitor_knn20\":0.45}\n"
                              "\n"
                              "{\"step\":2,\"eval_accuracy\":0.3}\n"
                              "{\"step\":2,\"loss\":4.0,\"seconds\":1.5}\n"
                              "{\"step\":2,\"seconds\":2.0,\"monitor_knn\":0.6}\n");
  const std::vector<info::RunCurves> runs = info::read_training_log(p);
  REQUIRE(runs.size() == 1);
  const info::RunCurves& r = runs[0];
  CHECK(r.name == "run-a");
  CHECK(r.loss.x == std::vector<float>{1, 2, 3});  // counted from 1, as the model file's series
  CHECK(r.loss.y == std::vector<float>{6, 5, 4});
  CHECK(r.knn.x == std::vector<float>{1.2f, 2.0f});
  CHECK(r.knn.y == std::vector<float>{0.5f, 0.6f});
  CHECK(r.knn20.y == std::vector<float>{0.45f});
}

TEST_CASE("read_training_log: a resumed run's repeated steps keep their last line - a cut last line is passed over") {
  testing::ScratchDir dir;
  const std::string p = write(dir, "r.jsonl",
                              "{\"step\":0,\"loss\":6.0}\n{\"step\":1,\"loss\":5.0}\n{\"step\":2,\"loss\":4.5}\n"
                              "{\"step\":2,\"loss\":4.0}\n{\"step\":3,\"loss\":3.0}\n{\"step\":4,\"lo");
  const std::vector<info::RunCurves> runs = info::read_training_log(p);
  REQUIRE(runs.size() == 1);
  const info::RunCurves& r = runs[0];
  CHECK(r.loss.x == std::vector<float>{1, 2, 3, 4});
  CHECK(r.loss.y == std::vector<float>{6, 5, 4, 3});
}

TEST_CASE("read_training_log: runs appending to one log come apart by run_id - in order of first appearance") {
  testing::ScratchDir dir;
  // Two runs interleaved (both writing at once), the second with a monitor; then a line of a run with no steps.
  const std::string p = write(dir, "shared.jsonl",
                              "{\"step\":0,\"loss\":6.0,\"run_id\":\"aa\"}\n"
                              "{\"step\":0,\"loss\":9.0,\"run_id\":\"bb\"}\n"
                              "{\"step\":1,\"loss\":5.0,\"run_id\":\"aa\"}\n"
                              "{\"step\":1,\"loss\":8.0,\"run_id\":\"bb\"}\n"
                              "{\"step\":1,\"seconds\":2,\"monitor_knn\":0.5,\"run_id\":\"bb\"}\n"
                              "{\"step\":2,\"seconds\":3,\"monitor_knn\":0.6,\"run_id\":\"cc\"}\n");
  const std::vector<info::RunCurves> runs = info::read_training_log(p);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].run_id == "aa");
  CHECK(runs[0].name == "shared run aa");
  CHECK(runs[0].loss.y == std::vector<float>{6, 5});
  CHECK(runs[0].knn.empty());
  CHECK(runs[1].run_id == "bb");
  CHECK(runs[1].loss.y == std::vector<float>{9, 8});
  CHECK(runs[1].knn.y == std::vector<float>{0.5f});
  // An old log (no run ids) is one run, named by the file alone.
  const std::vector<info::RunCurves> old = info::read_training_log(
      write(dir, "old.jsonl", "{\"step\":0,\"loss\":6.0}\n{\"step\":1,\"loss\":5.0}\n"));
  REQUIRE(old.size() == 1);
  CHECK(old[0].name == "old");
  CHECK(old[0].run_id.empty());
}

TEST_CASE("read_training_log: errors name the file") {
  testing::ScratchDir dir;
  CHECK(error_of(dir / "none.jsonl").find("none.jsonl: No such file") != std::string::npos);
  CHECK(error_of(write(dir, "a.jsonl", "{\"step\":0,\"loss\":1}\nnot json\n{\"step\":1,\"loss\":1}\n"))
            .find("a.jsonl: line 2 is not a JSON object") != std::string::npos);
  CHECK(error_of(write(dir, "b.jsonl", "[1, 2]\n")).find("line 1 is not a JSON object") != std::string::npos);
  CHECK(error_of(write(dir, "c.jsonl", "{\"step\":0,\"seconds\":1,\"monitor_knn\":0.5}\n"))
            .find("c.jsonl: no training steps") != std::string::npos);
  CHECK(error_of(write(dir, "d.jsonl", "")).find("no training steps") != std::string::npos);
}

TEST_CASE("is_training_log: by name or by a leading brace") {
  testing::ScratchDir dir;
  CHECK(info::is_training_log(dir / "missing.jsonl"));
  CHECK(info::is_training_log(write(dir, "log.txt", "  \n{\"step\":0}\n")));
  CHECK_FALSE(info::is_training_log(write(dir, "m.h5", "\x89HDF\r\n")));
  CHECK_FALSE(info::is_training_log(dir / "missing.h5"));
}

TEST_CASE("parse_reference: LABEL=ACCURACY split at the last '='") {
  const info::Reference r = info::parse_reference("kNN k=200 raw=0.789");
  CHECK(r.label == "kNN k=200 raw");
  CHECK(r.accuracy == doctest::Approx(0.789));
  for (const char* bad : {"0.7", "=0.7", "raw=", "raw=78.9", "raw=0.7x", "raw=nan"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(info::parse_reference(bad), UsageError);
  }
}
