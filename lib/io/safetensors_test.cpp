#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "io/safetensors.hpp"
#include "io/test_util.hpp"

using namespace sslkit;
using namespace sslkit::io;
using sslkit::testing::ScratchDir;

namespace {

// A file from a header text and data bytes, as a hostile writer would make it.
std::vector<uint8_t> raw(const std::string& header, size_t data_bytes, uint64_t claimed = UINT64_MAX) {
  const uint64_t n = claimed == UINT64_MAX ? header.size() : claimed;
  std::vector<uint8_t> out(8 + header.size() + data_bytes, 0);
  std::memcpy(out.data(), &n, 8);
  std::memcpy(out.data() + 8, header.data(), header.size());
  return out;
}

std::string refusal(const std::vector<uint8_t>& bytes) {
  try {
    parse_safetensors(bytes, "bad.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("safetensors: the reference writer's bytes for one F32 tensor") {
  // huggingface/safetensors tensor.rs test_serialization: a 64-byte header, no padding.
  SafetensorsContent c;
  c.tensors.push_back(st_f32("attn.0", {1, 2, 3}, {0, 1, 2, 3, 4, 5}));
  const std::vector<uint8_t> b = safetensors_bytes(c);
  uint64_t n;
  std::memcpy(&n, b.data(), 8);
  CHECK(n == 64);
  CHECK(std::string(b.begin() + 8, b.begin() + 8 + 64) ==
        R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})");
  CHECK(b.size() == 8 + 64 + 24);
  // test_serialization_forced_alignement: 65 bytes padded with spaces to 72.
  SafetensorsContent d;
  d.tensors.push_back(st_f32("attn0", {1, 1, 2, 3}, {0, 1, 2, 3, 4, 5}));
  const std::vector<uint8_t> e = safetensors_bytes(d);
  std::memcpy(&n, e.data(), 8);
  CHECK(n == 72);
  CHECK(e[8 + 71] == ' ');
}

TEST_CASE("safetensors: round trip through a file - names dtypes shapes values and metadata") {
  ScratchDir dir;
  SafetensorsContent c;
  c.metadata["format"] = "pt";
  c.tensors.push_back(st_f32("b.weight", {2, 2}, {1.5f, -2, 3, 4}));
  c.tensors.push_back(st_i64_scalar("bn.num_batches_tracked", 7));
  c.tensors.push_back(st_f32("empty", {0, 3}, {}));
  c.tensors.push_back(st_f32("scalar", {}, {42}));
  SafeTensor u8{"bytes", StDType::U8, {3}, {1, 2, 3}};
  c.tensors.push_back(u8);
  write_safetensors(dir / "m.safetensors", c, Commit::now);
  const SafetensorsContent r = read_safetensors(dir / "m.safetensors");
  CHECK(r.metadata.at("format") == "pt");
  REQUIRE(r.tensors.size() == 5);
  // Laid out by falling alignment: the I64 first, then F32 by name, then U8.
  CHECK(r.tensors.front().name == "bn.num_batches_tracked");
  CHECK(r.tensors.back().name == "bytes");
  REQUIRE(r.find("b.weight"));
  CHECK(r.find("b.weight")->shape == std::vector<int64_t>{2, 2});
  CHECK(r.find("b.weight")->to_f32() == std::vector<float>{1.5f, -2, 3, 4});
  int64_t steps;
  std::memcpy(&steps, r.find("bn.num_batches_tracked")->data.data(), 8);
  CHECK(steps == 7);
  CHECK(r.find("bn.num_batches_tracked")->shape.empty());
  CHECK(r.find("empty")->elements() == 0);
  CHECK(r.find("scalar")->to_f32() == std::vector<float>{42});
  CHECK(r.find("bytes")->data == std::vector<uint8_t>{1, 2, 3});
  CHECK_THROWS_AS(r.find("bytes")->to_f32("m"), Error);
}

TEST_CASE("safetensors: F16 and BF16 read as f32 exactly") {
  // 1.0, -2.5, the smallest subnormal, 65504 (F16); 1.0, -2.5, 3.140625 (BF16).
  SafeTensor h{"h", StDType::F16, {4}, {0x00, 0x3c, 0x00, 0xc1, 0x01, 0x00, 0xff, 0x7b}};
  const std::vector<float> hv = h.to_f32();
  CHECK(hv[0] == 1.0f);
  CHECK(hv[1] == -2.5f);
  CHECK(hv[2] == 5.9604645e-08f);
  CHECK(hv[3] == 65504.0f);
  SafeTensor b{"b", StDType::BF16, {3}, {0x80, 0x3f, 0x20, 0xc0, 0x49, 0x40}};
  CHECK(b.to_f32() == std::vector<float>{1.0f, -2.5f, 3.140625f});
}

TEST_CASE("safetensors: every malformed file is refused with one line naming it") {
  const std::string t = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  CHECK(refusal(raw("{" + t + "}", 8)) == "accepted");
  CHECK(refusal({1, 2, 3}).find("bad.safetensors: not a valid safetensors file: truncated") == 0);
  CHECK(refusal(raw("{" + t + "}", 8, 1'000'000'000'000ull)).find("more than the 100 MB") != std::string::npos);
  CHECK(refusal(raw("{" + t + "}", 0, 500)).find("truncated: the header claims 500") != std::string::npos);
  CHECK(refusal(raw("[1,2]", 0)).find("not a JSON object") != std::string::npos);
  CHECK(refusal(raw("{\"a\":", 0)).find("not valid JSON") != std::string::npos);
  CHECK(refusal(raw("{" + t + "," + t + "}", 8)).find("the name a appears twice") != std::string::npos);
  CHECK(refusal(raw(R"({"a":{"dtype":"F8_E9","shape":[2],"data_offsets":[0,8]}})", 8)).find("unknown dtype") !=
        std::string::npos);
  CHECK(refusal(raw(R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", 8)).find("non-negative integers") !=
        std::string::npos);
  CHECK(refusal(raw(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)).find("non-negative integers") !=
        std::string::npos);
  CHECK(refusal(raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0.0,8]}})", 8)).find("data_offsets is not") !=
        std::string::npos);
  CHECK(refusal(raw(R"({"a":{"dtype":"F32","shape":[2]}})", 8)).find("needs dtype, shape and data_offsets") !=
        std::string::npos);
  CHECK(refusal(raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", 8)).find("out of range") !=
        std::string::npos);
  CHECK(refusal(raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8)).find("out of range") !=
        std::string::npos);
  CHECK(refusal(raw(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)).find("8 bytes for a F32") !=
        std::string::npos);
  CHECK(refusal(raw(R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}})", 8))
            .find("overflows") != std::string::npos);
  CHECK(refusal(raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                    12))
            .find("b: its data overlaps") != std::string::npos);
  CHECK(refusal(raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12)).find("a gap of 4") !=
        std::string::npos);
  CHECK(refusal(raw("{" + t + "}", 12)).find("4 bytes after the last") != std::string::npos);
  CHECK(refusal(raw(R"({"__metadata__":{"n":1},)" + t + "}", 8)).find("__metadata__ n is not a string") !=
        std::string::npos);
  CHECK(refusal(raw(R"({"__metadata__":[1],)" + t + "}", 8)).find("__metadata__ is not an object") !=
        std::string::npos);
}

TEST_CASE("safetensors: a file claiming a huge header is refused before it is read") {
  ScratchDir dir;
  const std::vector<uint8_t> b = raw("{}", 0, 1'000'000'000'000ull);
  std::ofstream(dir / "huge.safetensors", std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
  CHECK_THROWS_WITH_AS(read_safetensors(dir / "huge.safetensors"), doctest::Contains("huge.safetensors: not a valid"),
                       Error);
  std::ofstream(dir / "short.safetensors", std::ios::binary).write("\x10\0\0", 3);
  CHECK_THROWS_WITH_AS(read_safetensors(dir / "short.safetensors"), doctest::Contains("truncated"), Error);
}

TEST_CASE("safetensors: the writer refuses duplicate names and data of the wrong size") {
  SafetensorsContent c;
  c.tensors.push_back(st_f32("a", {1}, {1}));
  c.tensors.push_back(st_f32("a", {1}, {2}));
  CHECK_THROWS_AS(safetensors_bytes(c), Error);
  SafetensorsContent d;
  d.tensors.push_back(SafeTensor{"x", StDType::F32, {2}, {0, 0, 0, 0}});
  CHECK_THROWS_AS(safetensors_bytes(d), Error);
}
