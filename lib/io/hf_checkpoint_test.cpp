#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "io/hf_checkpoint.hpp"
#include "io/test_util.hpp"

using namespace sslkit;
using namespace sslkit::io;
using sslkit::testing::ScratchDir;

namespace {

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}

// A BF16 tensor from float values whose low 16 bits are zero (exact in BF16).
SafeTensor bf16(const std::string& name, std::vector<int64_t> shape, const std::vector<float>& v) {
  SafeTensor t;
  t.name = name;
  t.dtype = StDType::BF16;
  t.shape = std::move(shape);
  for (float f : v) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    t.data.push_back(static_cast<uint8_t>(bits >> 16));
    t.data.push_back(static_cast<uint8_t>(bits >> 24));
  }
  return t;
}

// A tiny checkpoint: config.json and one model.safetensors.
void tiny(const ScratchDir& d) {
  write_text(d / "config.json", R"({"model_type": "vit", "hidden_size": 2})");
  SafetensorsContent c;
  c.tensors.push_back(st_f32("vit.a.weight", {2, 3}, {1, 2, 3, 4, 5, 6}));
  c.tensors.push_back(st_f32("vit.a.bias", {2}, {7, 8}));
  c.tensors.push_back(st_f32("head.weight", {1, 2}, {9, 10}));
  write_safetensors(d / "model.safetensors", c, Commit::now);
}

}  // namespace

TEST_CASE("hf checkpoint: config and preprocessor and one safetensors file") {
  ScratchDir d;
  tiny(d);
  write_text(d / "preprocessor_config.json", R"({"image_mean": [0.1, 0.2, 0.3]})");
  const HfCheckpoint c = read_hf_checkpoint(d.path.string());
  CHECK(c.config["model_type"] == "vit");
  CHECK(c.preprocessor["image_mean"].size() == 3);
  CHECK(c.tensors.tensors.size() == 3);
  CHECK(config_int(c, "hidden_size") == 2);
  CHECK(config_int(c, "num_hidden_layers", 12) == 12);
  CHECK(refusal([&] { config_int(c, "heads"); }).find("config.json: has no \"heads\"") != std::string::npos);
  CHECK(refusal([&] { config_text(c, "hidden_size", ""); }).find("is not a string") != std::string::npos);

  TensorTaker t(c, "vit.", "vit");
  CHECK(t.has("a.weight"));
  CHECK(t.has("head.weight"));  // keys without the prefix keep their names
  CHECK(t.key("a.bias") == "vit.a.bias");
  CHECK(t.take("a.weight", {2, 3}) == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(t.take("a.bias", {2}) == std::vector<float>{7, 8});
  // Unknown key: head.weight was never taken.
  const std::string unknown = refusal([&] { t.finish(); });
  CHECK(unknown.find("model.safetensors: unknown key 'head.weight' (no vit parameter has that name") !=
        std::string::npos);
  t.ignore("head.weight");
  CHECK_NOTHROW(t.finish());
}

TEST_CASE("hf checkpoint: missing key and shape mismatch name the key") {
  ScratchDir d;
  tiny(d);
  const HfCheckpoint c = read_hf_checkpoint(d.path.string());
  TensorTaker t(c, "vit.", "vit");
  const std::string missing = refusal([&] { t.take("b.weight", {2, 3}); });
  CHECK(missing.find("model.safetensors: has no 'vit.b.weight'") != std::string::npos);
  const std::string shape = refusal([&] { t.take("a.weight", {3, 2}); });
  CHECK(shape.find("'vit.a.weight' has shape [2, 3], config.json makes it [3, 2]") != std::string::npos);
}

TEST_CASE("hf checkpoint: shards listed by the index and BF16 and F16 read as f32") {
  ScratchDir d;
  write_text(d / "config.json", R"({"model_type": "bert"})");
  SafetensorsContent a, b;
  a.tensors.push_back(bf16("x", {3}, {1.0f, -2.5f, 0.15625f}));
  SafeTensor h;  // F16: 1.0, -0.5 and the smallest subnormal
  h.name = "y";
  h.dtype = StDType::F16;
  h.shape = {3};
  h.data = {0x00, 0x3c, 0x00, 0xb8, 0x01, 0x00};
  b.tensors.push_back(h);
  b.tensors.push_back(st_f32("z", {1}, {4}));
  write_safetensors(d / "model-00001-of-00002.safetensors", a, Commit::now);
  write_safetensors(d / "model-00002-of-00002.safetensors", b, Commit::now);
  const std::string index = R"({"metadata": {"total_size": 16}, "weight_map": {
      "x": "model-00001-of-00002.safetensors", "y": "model-00002-of-00002.safetensors",
      "z": "model-00002-of-00002.safetensors"}})";
  write_text(d / "model.safetensors.index.json", index);
  const HfCheckpoint c = read_hf_checkpoint(d.path.string());
  REQUIRE(c.tensors.tensors.size() == 3);
  TensorTaker t(c, "");
  CHECK(t.take("x", {3}) == std::vector<float>{1.0f, -2.5f, 0.15625f});
  const std::vector<float> y = t.take("y", {3});
  CHECK(y[0] == 1.0f);
  CHECK(y[1] == -0.5f);
  CHECK(y[2] == std::ldexp(1.0f, -24));
  CHECK(t.take("z", {1}) == std::vector<float>{4});
  CHECK_NOTHROW(t.finish());

  SUBCASE("a tensor the index places elsewhere") {
    write_text(d / "model.safetensors.index.json",
               R"({"weight_map": {"x": "model-00001-of-00002.safetensors", "y": "model-00001-of-00002.safetensors",
                   "z": "model-00002-of-00002.safetensors"}})");
    CHECK(refusal([&] { read_hf_checkpoint(d.path.string()); }).find("holds 'y', which") != std::string::npos);
  }
  SUBCASE("a listed tensor no shard holds") {
    write_text(d / "model.safetensors.index.json",
               R"({"weight_map": {"x": "model-00001-of-00002.safetensors", "y": "model-00002-of-00002.safetensors",
                   "z": "model-00002-of-00002.safetensors", "w": "model-00002-of-00002.safetensors"}})");
    CHECK(refusal([&] { read_hf_checkpoint(d.path.string()); }).find("lists 'w'") != std::string::npos);
  }
  SUBCASE("a shard outside the directory") {
    write_text(d / "model.safetensors.index.json", R"({"weight_map": {"x": "../model.safetensors"}})");
    CHECK(refusal([&] { read_hf_checkpoint(d.path.string()); }).find("is not a file name in the directory") !=
          std::string::npos);
  }
  SUBCASE("a missing shard") {
    write_text(d / "model.safetensors.index.json", R"({"weight_map": {"x": "model-00009.safetensors"}})");
    CHECK(refusal([&] { read_hf_checkpoint(d.path.string()); }).find("names the shard model-00009.safetensors") !=
          std::string::npos);
  }
}

TEST_CASE("hf checkpoint: an integer tensor is refused unless ignored") {
  ScratchDir d;
  write_text(d / "config.json", "{}");
  SafetensorsContent c;
  c.tensors.push_back(st_i64_scalar("embeddings.position_ids", 3));
  write_safetensors(d / "model.safetensors", c, Commit::now);
  const HfCheckpoint k = read_hf_checkpoint(d.path.string());
  TensorTaker t(k, "");
  CHECK(refusal([&] { t.take("embeddings.position_ids", {}); }).find("is I64, not a floating-point tensor") !=
        std::string::npos);
  TensorTaker u(k, "");
  u.ignore("embeddings.position_ids");
  CHECK_NOTHROW(u.finish());
}

TEST_CASE("hf checkpoint: what is not a safetensors directory is refused naming the file") {
  ScratchDir d;
  CHECK(refusal([&] { read_hf_checkpoint(d / "nothing"); }).find("does not exist") != std::string::npos);
  CHECK(refusal([&] { read_hf_checkpoint(d.path.string()); }).find("has no config.json") != std::string::npos);
  write_text(d / "config.json", "{not json");
  CHECK(refusal([&] { read_hf_checkpoint(d.path.string()); }).find("config.json: is not valid JSON") !=
        std::string::npos);
  write_text(d / "config.json", "{}");
  CHECK(refusal([&] { read_hf_checkpoint(d.path.string()); }).find("has no model.safetensors") != std::string::npos);
  // A pickle-only directory: refused with the conversion, never opened.
  write_text(d / "pytorch_model.bin", "PK\x03\x04 not really a pickle");
  const std::string pickle = refusal([&] { read_hf_checkpoint(d.path.string()); });
  CHECK(pickle.find("pytorch_model.bin: is a pickle, which sslkit never loads") != std::string::npos);
  CHECK(pickle.find("weights_only=True") != std::string::npos);
  CHECK(pickle.find("save_file") != std::string::npos);
  CHECK(pickle.find('\n') == std::string::npos);
  // A truncated safetensors file is the reader's refusal, naming it.
  write_text(d / "model.safetensors", std::string("\x40\0\0\0\0\0\0\0{\"a\"", 12));
  CHECK(refusal([&] { read_hf_checkpoint(d.path.string()); }).find("model.safetensors: not a valid safetensors file") !=
        std::string::npos);
}
