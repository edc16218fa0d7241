// GgufFile: a read-only, memory-mapped GGUF (version 2 or 3) file.
//
// The whole header (metadata and tensor infos) is parsed and validated at
// open(): every length, count and offset is checked against the file size
// before it is used, so a truncated, corrupt or hostile file produces an
// Error naming the problem and never a crash or an allocation larger than
// the file justifies. Strings and arrays point into the mapping.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/mapped_file.h"
#include "core/result.h"
#include "core/tensor.h"

namespace keel {

enum class GgufType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};

std::string_view gguf_type_name(GgufType type);

// One metadata value. Scalars are widened into the matching field; arrays
// keep their element type, count and a pointer to the packed elements
// (string elements are decoded into `strings`).
struct GgufValue {
  GgufType type = GgufType::U8;
  uint64_t u = 0;    // U8, U16, U32, U64, BOOL
  int64_t i = 0;     // I8, I16, I32, I64
  double f = 0;      // F32, F64
  std::string_view str;  // STRING

  GgufType elem_type = GgufType::U8;         // ARRAY
  uint64_t count = 0;                        // ARRAY
  const std::byte* elems = nullptr;          // ARRAY of numbers: packed little-endian elements
  std::vector<std::string_view> strings;     // ARRAY of strings

  bool is_integer() const;  // any of the integer scalar types (not BOOL)
};

struct GgufTensorInfo {
  std::string name;
  TensorView view;     // shape outermost-first (GGUF ne reversed); data points into the mapping
  uint64_t offset = 0; // relative to the data section, as stored
  uint32_t ggml_type = 0;
};

class GgufFile {
 public:
  static Result<GgufFile> open(const std::filesystem::path& path);
  // Parses an in-memory image (used by the fuzzer and tests); `bytes` must
  // outlive the returned object.
  static Result<GgufFile> parse(const std::byte* bytes, size_t size, std::string source_name);

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  const std::string& source_name() const { return source_name_; }

  // Metadata, in file order.
  const std::vector<std::pair<std::string_view, GgufValue>>& metadata() const { return metadata_; }
  const GgufValue* find(std::string_view key) const;

  // Typed getters: an Error names the key and the type found when it is
  // missing or of the wrong kind. Integers of any width and sign are
  // accepted where the value fits.
  Result<std::string_view> get_string(std::string_view key) const;
  Result<uint64_t> get_uint(std::string_view key) const;
  Result<double> get_float(std::string_view key) const;  // F32, F64 (and integers)
  Result<bool> get_bool(std::string_view key) const;
  Result<std::vector<std::string_view>> get_string_array(std::string_view key) const;
  Result<std::vector<int64_t>> get_int_array(std::string_view key) const;
  Result<std::vector<float>> get_float_array(std::string_view key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;

 private:
  std::string source_name_;
  std::optional<MappedFile> file_;  // empty when parsed from memory
  uint32_t version_ = 0;
  uint32_t alignment_ = 32;
  std::vector<std::pair<std::string_view, GgufValue>> metadata_;
  std::vector<GgufTensorInfo> tensors_;
};

}  // namespace keel
