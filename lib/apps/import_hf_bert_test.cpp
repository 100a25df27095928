#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "apps/export.hpp"
#include "apps/import_model.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/tokenizer.hpp"
#include "io/hf_checkpoint.hpp"
#include "io/safetensors.hpp"
#include "io/test_util.hpp"
#include "models/text_encoder.hpp"
#include "nn/engine.hpp"
#include "nn/ops.hpp"

using namespace sslkit;
using sslkit::testing::ScratchDir;
using nlohmann::ordered_json;

namespace {

// Committed by tests/interop/make_bert_fixtures.py (transformers 5.25).
const std::string kBert = std::string(SSLKIT_DATA_DIR) + "/../tests/interop/fixtures/bert";

struct Reference {
  int64_t rows = 0, length = 0, D = 0, V = 0;
  std::vector<int32_t> ids, lengths;
  std::vector<float> hidden, pooled, logits;
};

Reference reference() {
  const io::SafetensorsContent r = io::read_safetensors(kBert + "/reference.safetensors");
  Reference ref;
  const io::SafeTensor* ids = r.find("input_ids");
  REQUIRE(ids);
  ref.rows = ids->shape[0];
  ref.length = ids->shape[1];
  const auto* p = reinterpret_cast<const int64_t*>(ids->data.data());
  for (int64_t i = 0; i < ids->elements(); ++i) ref.ids.push_back(static_cast<int32_t>(p[i]));
  const auto* l = reinterpret_cast<const int64_t*>(r.find("lengths")->data.data());
  for (int64_t i = 0; i < ref.rows; ++i) ref.lengths.push_back(static_cast<int32_t>(l[i]));
  ref.hidden = r.find("last_hidden_state")->to_f32();
  ref.pooled = r.find("pooler_output")->to_f32();
  ref.logits = r.find("mlm_logits")->to_f32();
  ref.D = r.find("last_hidden_state")->shape[2];
  ref.V = r.find("mlm_logits")->shape[2];
  return ref;
}

// The tolerance: |ours - theirs| <= 1e-4 * max(1, |theirs|).
double worst_ratio(const float* ours, const float* ref, int64_t n) {
  double worst = 0;
  for (int64_t i = 0; i < n; ++i)
    worst = std::max(worst, std::fabs(static_cast<double>(ours[i]) - ref[i]) / std::max(1.0, std::fabs(static_cast<double>(ref[i]))));
  return worst / 1e-4;  // <= 1 passes
}

struct Imported {
  std::unique_ptr<methods::Method> method;
  ordered_json config;
  std::vector<uint8_t> tokenizer;
  models::EncoderShape shape;
};

Imported import_dir(const std::string& dir) {
  const io::HfCheckpoint c = io::read_hf_checkpoint(dir);
  const train::ModelFamily& f = train::family_of(c);
  CHECK(std::string(f.name) == "bert");
  Imported m;
  m.method = train::import_method(c, f, &m.config, &m.tokenizer);
  m.shape = models::from_json(m.config["encoder"], dir);
  return m;
}

// The imported text encoder alone (the method keeps its own private).
models::TextEncoder encoder_of(const Imported& m) {
  Rng rng(1);
  models::TextEncoder enc(m.shape, m.config["vocab_size"].get<int64_t>(), m.config["max_len"].get<int64_t>(), rng);
  std::map<std::string, nn::Var*> ours;
  for (auto& [name, p] : m.method->named_parameters()) ours[name] = p;
  for (auto& entry : enc.named_parameters()) {
    const std::string& name = entry.first;  // not a structured binding: clang 14 cannot capture one in a message
    REQUIRE_MESSAGE(ours.count("text_encoder." + name), name);
    entry.second->value() = ours["text_encoder." + name]->value().clone();
  }
  return enc;
}

void copy_dir(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

std::string error_of(const std::string& dir) {
  try {
    import_dir(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("bert import: BertModel and BertForMaskedLM and BertForPreTraining give transformers' outputs") {
  nn::init_engine();
  nn::NoGrad ng;
  const Reference ref = reference();
  for (const char* kind : {"model", "mlm", "pretraining"}) {
    INFO("fixture " << std::string(kind));
    Imported m = import_dir(kBert + "/" + kind);
    CHECK(m.config["method"] == "mlm");
    CHECK(m.shape.norm == models::NormPlacement::post);
    CHECK(m.shape.eps == 1e-12);
    CHECK(m.shape.token_types == 2);
    CHECK(m.shape.mlp == 40);
    CHECK(m.shape.pooler == (std::string(kind) != "mlm"));
    // The tokenizer is the directory's vocab.txt: BertTokenizer's ids again.
    const data::Tokenizer tok = data::Tokenizer::from_bytes(m.tokenizer, kind);
    CHECK(tok.kind() == data::TokenizerKind::wordpiece);
    const char* lines[] = {"A kettle watched by three cooks still boils at its own pace.",
                           "The fox that owns a lamp still hunts in the dark!", "Bread shared at noon?"};
    for (int64_t r = 0; r < ref.rows; ++r) {
      std::vector<int32_t> want(ref.ids.begin() + r * ref.length, ref.ids.begin() + r * ref.length + ref.lengths[r]);
      std::vector<int32_t> got{tok.cls_id()};
      for (int32_t id : tok.encode(lines[r])) got.push_back(id);
      got.push_back(tok.sep_id());
      CHECK(got == want);
    }

    const models::TextEncoder enc = encoder_of(m);
    const nn::Tensor h = enc.forward(ref.ids, ref.lengths, ref.length).value();
    double worst = 0;
    for (int64_t r = 0; r < ref.rows; ++r)  // real tokens only (padded rows differ by design)
      worst = std::max(worst, worst_ratio(h.f32() + r * ref.length * ref.D, ref.hidden.data() + r * ref.length * ref.D,
                                          ref.lengths[r] * ref.D));
    MESSAGE(std::string(kind) << ": last_hidden_state error " << worst * 1e-4 << " relative (limit 1e-4)");
    CHECK(worst <= 1.0);
    if (m.shape.pooler) {
      const nn::Tensor p = enc.pooled(enc.forward(ref.ids, ref.lengths, ref.length), ref.lengths, ref.length).value();
      const double w = worst_ratio(p.f32(), ref.pooled.data(), ref.rows * ref.D);
      MESSAGE(std::string(kind) << ": pooler_output error " << w * 1e-4);
      CHECK(w <= 1.0);
    }
    if (m.config.value("mlm_head", "") != "new") {
      methods::TokenBatch b;
      b.rows = ref.rows;
      b.length = ref.length;
      b.ids = ref.ids;
      b.lengths = ref.lengths;
      for (int64_t r = 0; r < ref.rows; ++r)
        for (int64_t k = 0; k < ref.length; ++k) b.labels.push_back(k < ref.lengths[r] ? 1 : -100);
      const nn::Tensor logits = m.method->masked_logits(b).value();
      std::vector<float> want;  // the reference's real positions, in row order
      for (int64_t r = 0; r < ref.rows; ++r)
        want.insert(want.end(), ref.logits.begin() + r * ref.length * ref.V,
                    ref.logits.begin() + (r * ref.length + ref.lengths[r]) * ref.V);
      REQUIRE(logits.numel() == static_cast<int64_t>(want.size()));
      const double w = worst_ratio(logits.f32(), want.data(), logits.numel());
      MESSAGE(std::string(kind) << ": MLM logits error " << w * 1e-4);
      CHECK(w <= 1.0);
    }
  }
}

TEST_CASE("bert import: bad checkpoints are one error naming the file and what is wrong") {
  ScratchDir dir;
  copy_dir(kBert + "/mlm", dir / "short");
  {  // a vocabulary of fewer pieces than the embedding has rows
    std::ifstream in(dir / "short/vocab.txt");
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(dir / "short/vocab.txt", std::ios::trunc) << all.substr(0, all.rfind('\n', all.size() - 2) + 1);
  }
  CHECK(error_of(dir / "short") == dir / "short/vocab.txt" +
                                       ": has 96 pieces, fewer than the 97 rows of the word embeddings (config.json "
                                       "vocab_size): another model's vocabulary?");
  copy_dir(kBert + "/mlm", dir / "novocab");
  std::filesystem::remove(dir / "novocab/vocab.txt");
  CHECK(error_of(dir / "novocab").find("has no vocab.txt or tokenizer.json") != std::string::npos);

  // A key no BERT has is named, never dropped.
  copy_dir(kBert + "/mlm", dir / "extra");
  io::SafetensorsContent st = io::read_safetensors(dir / "extra/model.safetensors");
  st.tensors.push_back(io::st_f32("bert.foo", {2}, {1, 2}));
  io::write_safetensors(dir / "extra/model.safetensors", st, io::Commit::now);
  CHECK(error_of(dir / "extra") == dir / "extra/model.safetensors" +
                                       ": unknown key 'bert.foo' (no bert parameter has that name; sslkit does not "
                                       "drop weights it does not know)");
  // A missing one too.
  copy_dir(kBert + "/model", dir / "lacking");
  st = io::read_safetensors(dir / "lacking/model.safetensors");
  std::erase_if(st.tensors, [](const io::SafeTensor& t) { return t.name == "encoder.layer.1.output.dense.bias"; });
  io::write_safetensors(dir / "lacking/model.safetensors", st, io::Commit::now);
  CHECK(error_of(dir / "lacking").find("encoder.layer.1.output.dense.bias") != std::string::npos);
}

TEST_CASE("bert import then ssl-export --to hf gives back the same names and shapes and bytes") {
  ScratchDir dir;
  for (const char* kind : {"mlm", "model"}) {
    INFO("fixture " << std::string(kind));
    const std::string src = kBert + "/" + kind, model = dir / (std::string(kind) + ".h5"),
                      out = dir / (std::string(kind) + "-hf");
    train::run_import_model({.dir = src, .output = model, .command_line = "test"});
    train::run_export({.model = model, .output = out, .to = "hf"});
    const io::SafetensorsContent a = io::read_safetensors(src + "/model.safetensors");
    const io::SafetensorsContent b = io::read_safetensors(out + "/model.safetensors");
    std::set<std::string> names_a, names_b;
    for (const auto& t : a.tensors) names_a.insert(t.name);
    for (const auto& t : b.tensors) names_b.insert(t.name);
    CHECK(names_a == names_b);
    for (const auto& t : a.tensors) {
      const io::SafeTensor* u = b.find(t.name);
      if (!u) continue;
      INFO(t.name);
      CHECK(u->shape == t.shape);
      CHECK(u->data == t.data);
    }
    const auto config = nlohmann::json::parse(std::ifstream(out + "/config.json"));
    const auto original = nlohmann::json::parse(std::ifstream(src + "/config.json"));
    for (const char* key : {"model_type", "architectures", "vocab_size", "hidden_size", "num_hidden_layers",
                            "num_attention_heads", "intermediate_size", "max_position_embeddings", "type_vocab_size",
                            "layer_norm_eps", "hidden_act"})
      CHECK_MESSAGE(config[key] == original[key], key);
    std::ifstream v1(src + "/vocab.txt"), v2(out + "/vocab.txt");
    CHECK(std::string(std::istreambuf_iterator<char>(v1), {}) == std::string(std::istreambuf_iterator<char>(v2), {}));
    const auto tc = nlohmann::json::parse(std::ifstream(out + "/tokenizer_config.json"));
    CHECK(tc["tokenizer_class"] == "BertTokenizer");
    CHECK(tc["do_lower_case"] == true);
  }
}
