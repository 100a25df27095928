#include "io/safetensors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "core/error.hpp"

namespace sslkit::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian: a big-endian host would need swaps");

namespace {

struct DTypeRow {
  StDType type;
  const char* name;
  size_t size;
};
constexpr DTypeRow kDTypes[] = {
    {StDType::F64, "F64", 8}, {StDType::F32, "F32", 4},   {StDType::F16, "F16", 2}, {StDType::BF16, "BF16", 2},
    {StDType::I64, "I64", 8}, {StDType::I32, "I32", 4},   {StDType::I16, "I16", 2}, {StDType::I8, "I8", 1},
    {StDType::U8, "U8", 1},   {StDType::BOOL, "BOOL", 1},
};

const DTypeRow& row_of(StDType t) {
  for (const DTypeRow& r : kDTypes)
    if (r.type == t) return r;
  throw Error("", "unknown safetensors dtype");
}

// IEEE half to float, exactly (subnormals, infinities and NaN included).
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while (!(mant & 0x400));
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (mant & 0x3ff) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  return std::bit_cast<float>(bits);
}

// prod(shape) * size without overflow; false when it overflows.
bool byte_count(const std::vector<int64_t>& shape, size_t size, uint64_t& out) {
  uint64_t n = size;
  for (int64_t d : shape) {
    if (d < 0) return false;
    if (d != 0 && n > UINT64_MAX / static_cast<uint64_t>(d)) return false;
    n *= static_cast<uint64_t>(d);
  }
  out = n;
  return true;
}

Error malformed(const std::string& name, const std::string& why) {
  return Error(name, "not a valid safetensors file: " + why);
}

// The header length against the limit and the file's size (both before
// anything is allocated for it).
void check_header_length(uint64_t n, uint64_t file_size, const std::string& name) {
  if (n > kMaxSafetensorsHeader)
    throw malformed(name, "the header claims " + std::to_string(n) + " bytes, more than the 100 MB a header may have");
  if (n > file_size - 8)
    throw malformed(name, "truncated: the header claims " + std::to_string(n) + " bytes, the file has " +
                              std::to_string(file_size - 8) + " after the length");
}

uint64_t read_le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

bool st_dtype_from_name(const std::string& name, StDType& out) {
  for (const DTypeRow& r : kDTypes)
    if (name == r.name) {
      out = r.type;
      return true;
    }
  return false;
}
const char* st_dtype_name(StDType t) { return row_of(t).name; }
size_t st_dtype_size(StDType t) { return row_of(t).size; }

int64_t SafeTensor::elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<float> SafeTensor::to_f32(const std::string& file) const {
  const size_t n = static_cast<size_t>(elements());
  std::vector<float> out(n);
  switch (dtype) {
    case StDType::F32:
      std::memcpy(out.data(), data.data(), n * 4);
      break;
    case StDType::F64:
      for (size_t i = 0; i < n; ++i) {
        double v;
        std::memcpy(&v, data.data() + 8 * i, 8);
        out[i] = static_cast<float>(v);
      }
      break;
    case StDType::F16:
    case StDType::BF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, data.data() + 2 * i, 2);
        out[i] = dtype == StDType::F16 ? half_to_float(h) : std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
      }
      break;
    default:
      throw Error(file, name + ": " + st_dtype_name(dtype) + " values where floating-point ones are expected");
  }
  return out;
}

const SafeTensor* SafetensorsContent::find(const std::string& name) const {
  for (const SafeTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

SafeTensor st_f32(std::string name, std::vector<int64_t> shape, const std::vector<float>& values) {
  SafeTensor t{std::move(name), StDType::F32, std::move(shape), {}};
  if (static_cast<size_t>(t.elements()) != values.size())
    throw Error("", "internal: " + t.name + " has " + std::to_string(values.size()) + " values for its shape");
  t.data.resize(values.size() * 4);
  if (!values.empty()) std::memcpy(t.data.data(), values.data(), t.data.size());  // memcpy of null is undefined (UBSan)
  return t;
}

SafeTensor st_i64_scalar(std::string name, int64_t value) {
  SafeTensor t{std::move(name), StDType::I64, {}, std::vector<uint8_t>(8)};
  std::memcpy(t.data.data(), &value, 8);
  return t;
}

std::vector<uint8_t> safetensors_bytes(const SafetensorsContent& content) {
  std::vector<const SafeTensor*> order;
  std::set<std::string> names;
  for (const SafeTensor& t : content.tensors) {
    if (t.name == "__metadata__" || !names.insert(t.name).second)
      throw Error("", "safetensors: tensor name " + t.name + " given twice or reserved");
    uint64_t n = 0;
    if (!byte_count(t.shape, st_dtype_size(t.dtype), n) || n != t.data.size())
      throw Error(
          "", "safetensors: " + t.name + " has " + std::to_string(t.data.size()) + " bytes for its dtype and shape");
    order.push_back(&t);
  }
  // The reference writer's layout: largest alignment first, then by name.
  std::stable_sort(order.begin(), order.end(), [](const SafeTensor* a, const SafeTensor* b) {
    const size_t sa = st_dtype_size(a->dtype), sb = st_dtype_size(b->dtype);
    return sa != sb ? sa > sb : a->name < b->name;
  });
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!content.metadata.empty()) header["__metadata__"] = content.metadata;
  uint64_t offset = 0;
  for (const SafeTensor* t : order) {
    const uint64_t end = offset + t->data.size();
    header[t->name] = {{"dtype", st_dtype_name(t->dtype)}, {"shape", t->shape}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text = header.dump();
  while (text.size() % 8) text += ' ';
  std::vector<uint8_t> out(8 + text.size() + offset);
  const uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);
  std::memcpy(out.data() + 8, text.data(), text.size());
  uint8_t* p = out.data() + 8 + text.size();
  for (const SafeTensor* t : order) {
    if (!t->data.empty()) std::memcpy(p, t->data.data(), t->data.size());
    p += t->data.size();
  }
  return out;
}

void write_safetensors(const std::string& path, const SafetensorsContent& content, Commit when) {
  write_file_atomic(path, safetensors_bytes(content), when);
}

SafetensorsContent parse_safetensors(const std::vector<uint8_t>& bytes, const std::string& name) {
  auto bad = [&](const std::string& why) { return malformed(name, why); };
  if (bytes.size() < 8)
    throw bad("truncated: " + std::to_string(bytes.size()) + " bytes, less than the 8-byte header length");
  const uint64_t n = read_le64(bytes.data());
  check_header_length(n, bytes.size(), name);
  const char* text = reinterpret_cast<const char*>(bytes.data() + 8);
  if (n == 0 || text[0] != '{') throw bad("the header is not a JSON object");
  // nlohmann keeps the last of two equal keys silently: find them here.
  std::string duplicate;
  std::set<std::string> keys;
  auto watch = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (event == nlohmann::json::parse_event_t::key && depth == 1 && !keys.insert(parsed.get<std::string>()).second &&
        duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, text + n, watch);
  } catch (const nlohmann::json::exception& e) {
    throw bad("the header is not valid JSON");
  }
  if (!header.is_object()) throw bad("the header is not a JSON object");
  if (!duplicate.empty()) throw bad("the name " + duplicate + " appears twice in the header");
  SafetensorsContent out;
  struct Span {
    uint64_t begin, end;
    size_t index;
  };
  std::vector<Span> spans;
  const uint64_t data_size = bytes.size() - 8 - n;
  for (auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) throw bad("__metadata__ is not an object of strings");
      for (auto& [k, v] : value.items()) {
        if (!v.is_string()) throw bad("__metadata__ " + k + " is not a string");
        out.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    if (!value.is_object() || !value.contains("dtype") || !value.contains("shape") || !value.contains("data_offsets"))
      throw bad(key + ": an entry needs dtype, shape and data_offsets");
    SafeTensor t;
    t.name = key;
    if (!value["dtype"].is_string() || !st_dtype_from_name(value["dtype"].get<std::string>(), t.dtype))
      throw bad(key + ": unknown dtype " + value["dtype"].dump());
    const auto& shape = value["shape"];
    if (!shape.is_array()) throw bad(key + ": the shape is not a list of non-negative integers");
    for (const auto& d : shape) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        throw bad(key + ": the shape is not a list of non-negative integers");
      t.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
    }
    const auto& off = value["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw bad(key + ": data_offsets is not two non-negative integers");
    const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end || end > data_size)
      throw bad(key + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                "] out of range (the data has " + std::to_string(data_size) + " bytes)");
    uint64_t want = 0;
    if (!byte_count(t.shape, st_dtype_size(t.dtype), want)) throw bad(key + ": the shape's size overflows");
    if (want != end - begin)
      throw bad(key + ": " + std::to_string(end - begin) + " bytes for a " + st_dtype_name(t.dtype) +
                " tensor of shape " + shape.dump() + " (" + std::to_string(want) + " bytes)");
    spans.push_back({begin, end, out.tensors.size()});
    out.tensors.push_back(std::move(t));
  }
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  uint64_t at = 0;
  std::vector<SafeTensor> ordered;
  for (const Span& s : spans) {
    const std::string& key = out.tensors[s.index].name;
    if (s.begin < at) throw bad(key + ": its data overlaps the tensor before it");
    if (s.begin > at) throw bad(key + ": a gap of " + std::to_string(s.begin - at) + " bytes before its data");
    SafeTensor& t = out.tensors[s.index];
    const uint8_t* p = bytes.data() + 8 + n + s.begin;
    t.data.assign(p, p + (s.end - s.begin));
    ordered.push_back(std::move(t));
    at = s.end;
  }
  if (at != data_size) throw bad(std::to_string(data_size - at) + " bytes after the last tensor's data");
  out.tensors = std::move(ordered);
  return out;
}

SafetensorsContent read_safetensors(const std::string& path) {
  InputFile input(path);
  std::ifstream f(input.path(), std::ios::binary | std::ios::ate);
  if (!f) throw Error(input.name(), std::string("cannot read: ") + std::strerror(errno));
  const std::streamoff size = f.tellg();
  // The header length is checked before the file is read whole, so a
  // header claiming 10^12 bytes costs nothing.
  if (size >= 8) {
    uint8_t head[8];
    f.seekg(0);
    f.read(reinterpret_cast<char*>(head), 8);
    const uint64_t n = read_le64(head);
    if (f) check_header_length(n, static_cast<uint64_t>(size), input.name());
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(std::max<std::streamoff>(size, 0)));
  f.seekg(0);
  if (!bytes.empty() && !f.read(reinterpret_cast<char*>(bytes.data()), size))
    throw Error(input.name(), std::string("cannot read: ") + std::strerror(errno));
  return parse_safetensors(bytes, input.name());
}

}  // namespace sslkit::io
