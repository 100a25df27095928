#include "io/onnx_writer.hpp"

#include <cstring>

namespace sslkit::io {

namespace protobuf {

void varint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

namespace {
enum Wire { kVarint = 0, kLength = 2, kFixed32 = 5 };
void key(std::vector<uint8_t>& out, int field, Wire w) { varint(out, (static_cast<uint64_t>(field) << 3) | w); }
}  // namespace

void field_varint(std::vector<uint8_t>& out, int field, int64_t v) {
  key(out, field, kVarint);
  varint(out, static_cast<uint64_t>(v));
}

void field_bytes(std::vector<uint8_t>& out, int field, const std::string& bytes) {
  key(out, field, kLength);
  varint(out, bytes.size());
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void field_bytes(std::vector<uint8_t>& out, int field, const std::vector<uint8_t>& bytes) {
  key(out, field, kLength);
  varint(out, bytes.size());
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void field_float(std::vector<uint8_t>& out, int field, float v) {
  key(out, field, kFixed32);
  uint8_t b[4];
  std::memcpy(b, &v, 4);  // little-endian hosts only (as the safetensors writer)
  out.insert(out.end(), b, b + 4);
}

}  // namespace protobuf

namespace {

using namespace protobuf;
using Bytes = std::vector<uint8_t>;

template <class T>
std::vector<uint8_t> raw_of(const std::vector<T>& v) {
  std::vector<uint8_t> raw(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(raw.data(), v.data(), raw.size());
  return raw;
}

// TensorProto: dims 1, data_type 2, name 8, raw_data 9.
Bytes tensor(const OnnxTensor& t) {
  Bytes b;
  for (int64_t d : t.dims) field_varint(b, 1, d);  // proto2 repeated: unpacked
  field_varint(b, 2, static_cast<int32_t>(t.type));
  field_bytes(b, 8, t.name);
  field_bytes(b, 9, t.raw);
  return b;
}

// AttributeProto: name 1, f 2, i 3, s 4, ints 8, type 20.
Bytes attribute(const OnnxAttribute& a) {
  Bytes b;
  field_bytes(b, 1, a.name);
  switch (a.kind) {
    case OnnxAttribute::Kind::f: field_float(b, 2, a.f); break;
    case OnnxAttribute::Kind::i: field_varint(b, 3, a.i); break;
    case OnnxAttribute::Kind::s: field_bytes(b, 4, a.s); break;
    case OnnxAttribute::Kind::ints:
      for (int64_t v : a.ints) field_varint(b, 8, v);
      break;
  }
  field_varint(b, 20, static_cast<int>(a.kind));
  return b;
}

// NodeProto: input 1, output 2, name 3, op_type 4, attribute 5.
Bytes node(const OnnxNode& n) {
  Bytes b;
  for (const auto& s : n.inputs) field_bytes(b, 1, s);
  for (const auto& s : n.outputs) field_bytes(b, 2, s);
  if (!n.name.empty()) field_bytes(b, 3, n.name);
  field_bytes(b, 4, n.op);
  for (const auto& a : n.attributes) field_bytes(b, 5, attribute(a));
  return b;
}

// ValueInfoProto { name 1, type 2: TypeProto { tensor_type 1: { elem_type 1,
// shape 2: TensorShapeProto { dim 1: { dim_value 1 | dim_param 2 } } } } }.
Bytes value_info(const OnnxValue& v) {
  Bytes shape;
  for (const OnnxDim& d : v.dims) {
    Bytes dim;
    if (d.param.empty())
      field_varint(dim, 1, d.size);
    else
      field_bytes(dim, 2, d.param);
    field_bytes(shape, 1, dim);
  }
  Bytes tensor_type;
  field_varint(tensor_type, 1, static_cast<int32_t>(v.type));
  field_bytes(tensor_type, 2, shape);
  Bytes type;
  field_bytes(type, 1, tensor_type);
  Bytes b;
  field_bytes(b, 1, v.name);
  field_bytes(b, 2, type);
  return b;
}

// GraphProto: node 1, name 2, initializer 5, doc_string 10, input 11, output 12.
Bytes graph(const OnnxModel& m) {
  Bytes b;
  for (const auto& n : m.nodes) field_bytes(b, 1, node(n));
  field_bytes(b, 2, m.graph_name);
  for (const auto& t : m.initializers) field_bytes(b, 5, tensor(t));
  if (!m.doc.empty()) field_bytes(b, 10, m.doc);
  for (const auto& v : m.inputs) field_bytes(b, 11, value_info(v));
  for (const auto& v : m.outputs) field_bytes(b, 12, value_info(v));
  return b;
}

}  // namespace

OnnxTensor OnnxTensor::f32(std::string name, std::vector<int64_t> dims, const std::vector<float>& v) {
  return {std::move(name), OnnxType::f32, std::move(dims), raw_of(v)};
}

OnnxTensor OnnxTensor::i64(std::string name, std::vector<int64_t> dims, const std::vector<int64_t>& v) {
  return {std::move(name), OnnxType::i64, std::move(dims), raw_of(v)};
}

// ModelProto: ir_version 1, producer_name 2, producer_version 3, graph 7,
// opset_import 8 (OperatorSetIdProto: domain 1, version 2), metadata_props 14.
std::vector<uint8_t> onnx_bytes(const OnnxModel& m) {
  Bytes b;
  field_varint(b, 1, kOnnxIrVersion);
  field_bytes(b, 2, m.producer);
  field_bytes(b, 3, m.producer_version);
  field_bytes(b, 7, graph(m));
  Bytes opset;
  field_bytes(opset, 1, std::string());  // the default domain, ai.onnx
  field_varint(opset, 2, kOnnxOpset);
  field_bytes(b, 8, opset);
  for (const auto& [k, v] : m.metadata) {
    Bytes entry;
    field_bytes(entry, 1, k);
    field_bytes(entry, 2, v);
    field_bytes(b, 14, entry);
  }
  return b;
}

}  // namespace sslkit::io
