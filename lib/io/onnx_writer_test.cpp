#include <doctest/doctest.h>

#include <string>

#include "io/onnx_writer.hpp"

using namespace sslkit::io;

namespace {
std::string hex(const std::vector<uint8_t>& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}
}  // namespace

TEST_CASE("onnx writer: varints as protobuf encodes them") {
  std::vector<uint8_t> b;
  protobuf::varint(b, 1);
  protobuf::varint(b, 300);
  CHECK(hex(b) == "01ac02");
  b.clear();
  // A negative int64 (axis=-1) is its 64-bit two's complement: ten bytes.
  protobuf::field_varint(b, 3, -1);
  CHECK(hex(b) == "18ffffffffffffffffff01");
  b.clear();
  protobuf::field_float(b, 2, 1e-5f);
  CHECK(hex(b) == "15acc52737");
}

TEST_CASE("onnx writer: a small model is byte for byte what onnx 1.12's helper serialises") {
  // The same model made with onnx.helper (Debian's python3-onnx 1.12.0:
  // make_tensor(raw=True), make_node, make_tensor_value_info, make_model
  // with ir_version 8 and opset 17, one metadata_props entry), checked by
  // onnx.checker.check_model(full_check=True), then SerializeToString().
  OnnxModel m;
  m.producer_version = "0.1.0";
  m.graph_name = "g";
  m.nodes.push_back({"Mul", "", {"x", "w"}, {"y"}, {}});
  m.nodes.push_back({"LayerNormalization", "", {"y", "w", "w"}, {"z"},
                     {OnnxAttribute::of("axis", int64_t{-1}), OnnxAttribute::of("epsilon", 1e-5f)}});
  m.nodes.push_back({"Transpose", "", {"z"}, {"t"}, {OnnxAttribute::of("perm", std::vector<int64_t>{1, 0})}});
  m.initializers.push_back(OnnxTensor::f32("w", {2}, {1.5f, -2.0f}));
  m.initializers.push_back(OnnxTensor::i64("axes", {1}, {-1}));
  m.inputs.push_back({"x", OnnxType::f32, {{-1, "batch"}, {2, ""}}});
  m.outputs.push_back({"t", OnnxType::f32, {{2, ""}, {-1, "batch"}}});
  m.metadata = {{"k", "v"}};
  const std::vector<uint8_t> b = onnx_bytes(m);
  CHECK(b.size() == 255);
  CHECK(hex(b) ==
        "0808120673736c6b69741a05302e312e303add010a0e0a01780a017712017922034d756c0a490a01790a01770a017712017a2212"
        "4c617965724e6f726d616c697a6174696f6e2a140a046178697318ffffffffffffffffff01a001022a110a07657073696c6f6e15"
        "acc52737a001010a200a017a12017422095472616e73706f73652a0d0a047065726d40014000a001071201672a11080210014201"
        "774a080000c03f000000c02a14080110074204617865734a08ffffffffffffffff5a180a017812130a110801120d0a0712056261"
        "7463680a02080262180a017412130a110801120d0a0208020a071205626174636842040a00101172060a016b120176");
}
