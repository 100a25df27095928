#include <doctest/doctest.h>

#include "core/error.hpp"
#include "train/modality.hpp"

using namespace sslkit;
using json = nlohmann::ordered_json;

TEST_CASE("modality registry: every data modality has its implementation - embeddings files have none") {
  for (io::Modality m : {io::Modality::image, io::Modality::text, io::Modality::audio})
    CHECK(train::modality_for(m).kind() == m);
  CHECK_THROWS_AS(train::modality_for(io::Modality::embedding), UsageError);
}

TEST_CASE("model modality: the encoder says what a model encodes - an unknown one is an error naming the file") {
  CHECK(train::model_modality(json{{"arch", "convnet-m"}}, "m.h5") == io::Modality::image);
  CHECK(train::model_modality(json{{"arch", "vit-mini"}}, "m.h5") == io::Modality::image);
  CHECK(train::model_modality(json{{"arch", "bert-mini"}}, "m.h5") == io::Modality::text);
  CHECK(train::model_modality(json{{"arch", "w2v-tiny"}}, "m.h5") == io::Modality::audio);
  // Before, anything neither audio nor image was taken for text.
  for (const json& config : {json{{"arch", "lstm-9"}}, json{{"method", "mlm"}}}) {
    try {
      train::model_modality(config, "dir/m.h5");
      FAIL("no error for " << config.dump());
    } catch (const Error& e) {
      CHECK(e.subject() == "dir/m.h5");
      CHECK(std::string(e.what()).find(config.contains("arch") ? "lstm-9" : "arch") != std::string::npos);
    }
  }
}
