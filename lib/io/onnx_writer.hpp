// An ONNX model written as protobuf wire format by hand: the few messages
// a graph of one encoder needs (ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto with raw_data, ValueInfoProto with symbolic
// dimensions), field numbers from onnx.proto (proto2). Write-only, no
// libprotobuf: ssl-export emits a graph and never reads one back, and the
// generated classes of Debian's libonnx-dev would add libprotobuf-dev for
// about 200 lines of encoding (docs/tools.md "ssl-export --to onnx").
// The output is the same bytes for the same graph (no map orders, no
// timestamps), so a committed fixture can pin it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace sslkit::io {

// What ONNX checkers at opset 17 read: IR version 8 (onnx 1.12, Debian bookworm).
constexpr int64_t kOnnxIrVersion = 8;
constexpr int64_t kOnnxOpset = 17;

// TensorProto.DataType values used here.
enum class OnnxType : int32_t { f32 = 1, i64 = 7, boolean = 9 };

// A constant tensor: an initializer or a Constant node's value.
struct OnnxTensor {
  std::string name;
  OnnxType type = OnnxType::f32;
  std::vector<int64_t> dims;
  std::vector<uint8_t> raw;  // little-endian values, row-major
  static OnnxTensor f32(std::string name, std::vector<int64_t> dims, const std::vector<float>& v);
  static OnnxTensor i64(std::string name, std::vector<int64_t> dims, const std::vector<int64_t>& v);
};

struct OnnxAttribute {
  enum class Kind { f = 1, i = 2, s = 3, ints = 7 } kind = Kind::i;
  std::string name;
  float f = 0;
  int64_t i = 0;
  std::string s;
  std::vector<int64_t> ints;
  static OnnxAttribute of(std::string name, int64_t v) { return {Kind::i, std::move(name), 0, v, {}, {}}; }
  static OnnxAttribute of(std::string name, float v) { return {Kind::f, std::move(name), v, 0, {}, {}}; }
  static OnnxAttribute of(std::string name, std::vector<int64_t> v) {
    return {Kind::ints, std::move(name), 0, 0, {}, std::move(v)};
  }
  static OnnxAttribute text(std::string name, std::string v) { return {Kind::s, std::move(name), 0, 0, std::move(v), {}}; }
};

struct OnnxNode {
  std::string op, name;
  std::vector<std::string> inputs, outputs;
  std::vector<OnnxAttribute> attributes;
};

// One dimension of a graph input or output: a size, or a name (symbolic: "batch").
struct OnnxDim {
  int64_t size = -1;
  std::string param;
};

struct OnnxValue {
  std::string name;
  OnnxType type = OnnxType::f32;
  std::vector<OnnxDim> dims;
};

struct OnnxModel {
  std::string producer = "sslkit", producer_version, graph_name, doc;
  std::vector<OnnxNode> nodes;
  std::vector<OnnxTensor> initializers;
  std::vector<OnnxValue> inputs, outputs;
  std::vector<std::pair<std::string, std::string>> metadata;  // metadata_props, in order
};

// The model as a .onnx file's bytes (ir_version 8, the default domain at opset 17).
std::vector<uint8_t> onnx_bytes(const OnnxModel& m);

// The protobuf encoding pieces, exposed for the unit tests.
namespace protobuf {
// A varint of the value's 64-bit two's complement (10 bytes for a negative).
void varint(std::vector<uint8_t>& out, uint64_t v);
// Field `field` as a varint, a length-delimited byte string, or a fixed32 float.
void field_varint(std::vector<uint8_t>& out, int field, int64_t v);
void field_bytes(std::vector<uint8_t>& out, int field, const std::string& bytes);
void field_bytes(std::vector<uint8_t>& out, int field, const std::vector<uint8_t>& bytes);
void field_float(std::vector<uint8_t>& out, int field, float v);
}  // namespace protobuf

}  // namespace sslkit::io
