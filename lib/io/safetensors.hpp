// The safetensors format (huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON {name: {dtype, shape, data_offsets},
// "__metadata__": {string: string}}, then the tensors' raw little-endian
// bytes back to back. What PyTorch, timm and transformers load without
// pickle; sslkit writes exported encoders in it and reads downloaded
// checkpoints, so the reader trusts nothing in the file.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/files.hpp"

namespace sslkit::io {

enum class StDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

// "F32" -> F32; false for a name the format does not have (or we do not read).
bool st_dtype_from_name(const std::string& name, StDType& out);
const char* st_dtype_name(StDType t);
size_t st_dtype_size(StDType t);

struct SafeTensor {
  std::string name;
  StDType dtype = StDType::F32;
  std::vector<int64_t> shape;  // empty: a scalar
  std::vector<uint8_t> data;   // little-endian, prod(shape) * size(dtype) bytes

  int64_t elements() const;
  // The values as float32: F32 as they are, F16 and BF16 widened exactly,
  // F64 rounded; an Error naming `file` for an integer or bool tensor.
  std::vector<float> to_f32(const std::string& file = "") const;
};

// Tensors to write or just read, with the header's metadata.
struct SafetensorsContent {
  std::vector<SafeTensor> tensors;  // read: in the order of their offsets
  std::map<std::string, std::string> metadata;

  // The tensor named `name`; nullptr when there is none.
  const SafeTensor* find(const std::string& name) const;
};

// Tensors from float32 values, or an int64 scalar (num_batches_tracked).
SafeTensor st_f32(std::string name, std::vector<int64_t> shape, const std::vector<float>& values);
SafeTensor st_i64_scalar(std::string name, int64_t value);

// The whole file in memory, as the reference writer lays it out: tensors
// sorted by falling alignment then name, header padded with spaces to a
// multiple of 8 so every tensor starts aligned to its element size. An
// Error for duplicate names or data that disagrees with dtype and shape.
std::vector<uint8_t> safetensors_bytes(const SafetensorsContent& content);

// Writes the file through an OutputFile (whole or not at all).
void write_safetensors(const std::string& path, const SafetensorsContent& content, Commit when = Commit::with_run);

// Reads and checks a file; an Error naming it for anything malformed: a
// truncated file, a header longer than the file or than 100 MB, a header
// that is not a JSON object, duplicate names, unknown dtypes, shapes or
// offsets that are not non-negative integers, offsets out of range,
// overlapping or leaving gaps, sizes that disagree with dtype and shape,
// metadata that is not strings, bytes after the last tensor.
SafetensorsContent read_safetensors(const std::string& path);

// The same checks on bytes already in memory; `name` is the file to blame.
SafetensorsContent parse_safetensors(const std::vector<uint8_t>& bytes, const std::string& name);

// The most a header may claim, as the reference reader (HeaderTooLarge).
inline constexpr uint64_t kMaxSafetensorsHeader = 100'000'000;

}  // namespace sslkit::io
