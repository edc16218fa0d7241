// Typed access to GGUF metadata and tensor lookup. The parser (gguf.cpp)
// has already validated every value; these functions only convert, and
// report a missing key or a value of the wrong kind as an Error.
#include <cstring>
#include <limits>

#include "format/gguf.h"

namespace keel {
namespace {

bool is_signed_integer(GgufType type) {
  return type == GgufType::I8 || type == GgufType::I16 || type == GgufType::I32 || type == GgufType::I64;
}

bool is_unsigned_integer(GgufType type) {
  return type == GgufType::U8 || type == GgufType::U16 || type == GgufType::U32 || type == GgufType::U64;
}

bool is_float(GgufType type) { return type == GgufType::F32 || type == GgufType::F64; }

// Reads element `k` of a packed little-endian numeric array. Elements may
// sit at any address inside the mapping, hence memcpy.
template <class T>
T load(const std::byte* elems, uint64_t k) {
  T value;
  std::memcpy(&value, elems + k * sizeof(T), sizeof(T));
  return value;
}

// Element `k` of an integer array widened to int64; false for a u64 past INT64_MAX.
bool array_int(const GgufValue& array, uint64_t k, int64_t* out) {
  switch (array.elem_type) {
    case GgufType::U8: *out = load<uint8_t>(array.elems, k); return true;
    case GgufType::I8: *out = load<int8_t>(array.elems, k); return true;
    case GgufType::U16: *out = load<uint16_t>(array.elems, k); return true;
    case GgufType::I16: *out = load<int16_t>(array.elems, k); return true;
    case GgufType::U32: *out = load<uint32_t>(array.elems, k); return true;
    case GgufType::I32: *out = load<int32_t>(array.elems, k); return true;
    case GgufType::I64: *out = load<int64_t>(array.elems, k); return true;
    case GgufType::U64: {
      const uint64_t value = load<uint64_t>(array.elems, k);
      if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
      *out = static_cast<int64_t>(value);
      return true;
    }
    default: return false;
  }
}

}  // namespace

std::string_view gguf_type_name(GgufType type) {
  switch (type) {
    case GgufType::U8: return "u8";
    case GgufType::I8: return "i8";
    case GgufType::U16: return "u16";
    case GgufType::I16: return "i16";
    case GgufType::U32: return "u32";
    case GgufType::I32: return "i32";
    case GgufType::F32: return "f32";
    case GgufType::BOOL: return "bool";
    case GgufType::STRING: return "string";
    case GgufType::ARRAY: return "array";
    case GgufType::U64: return "u64";
    case GgufType::I64: return "i64";
    case GgufType::F64: return "f64";
  }
  return "unknown";
}

bool GgufValue::is_integer() const { return is_signed_integer(type) || is_unsigned_integer(type); }

const GgufValue* GgufFile::find(std::string_view key) const {
  for (const auto& [name, value] : metadata_)
    if (name == key) return &value;
  return nullptr;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  for (const GgufTensorInfo& tensor : tensors_)
    if (tensor.name == name) return &tensor;
  return nullptr;
}

namespace {

// "<file>: key 'k' is missing" / "... is a string, expected an unsigned integer".
Error key_error(const std::string& source, std::string_view key, const GgufValue* value, const char* expected) {
  std::string message = source + ": metadata key '" + std::string(key) + "' ";
  if (value == nullptr) return Error{message + "is missing"};
  std::string found(gguf_type_name(value->type));
  if (value->type == GgufType::ARRAY) found += " of " + std::string(gguf_type_name(value->elem_type));
  return Error{message + "is " + found + ", expected " + expected};
}

}  // namespace

Result<std::string_view> GgufFile::get_string(std::string_view key) const {
  const GgufValue* value = find(key);
  if (value == nullptr || value->type != GgufType::STRING) return key_error(source_name_, key, value, "a string");
  return value->str;
}

Result<uint64_t> GgufFile::get_uint(std::string_view key) const {
  const GgufValue* value = find(key);
  if (value != nullptr && is_unsigned_integer(value->type)) return value->u;
  if (value != nullptr && is_signed_integer(value->type)) {
    if (value->i < 0)
      return Error{source_name_ + ": metadata key '" + std::string(key) + "' is negative (" +
                   std::to_string(value->i) + "), expected an unsigned integer"};
    return static_cast<uint64_t>(value->i);
  }
  return key_error(source_name_, key, value, "an unsigned integer");
}

Result<double> GgufFile::get_float(std::string_view key) const {
  const GgufValue* value = find(key);
  if (value != nullptr && is_float(value->type)) return value->f;
  if (value != nullptr && is_unsigned_integer(value->type)) return static_cast<double>(value->u);
  if (value != nullptr && is_signed_integer(value->type)) return static_cast<double>(value->i);
  return key_error(source_name_, key, value, "a number");
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
  const GgufValue* value = find(key);
  if (value == nullptr || value->type != GgufType::BOOL) return key_error(source_name_, key, value, "a bool");
  return value->u != 0;
}

Result<std::vector<std::string_view>> GgufFile::get_string_array(std::string_view key) const {
  const GgufValue* value = find(key);
  if (value == nullptr || value->type != GgufType::ARRAY || value->elem_type != GgufType::STRING)
    return key_error(source_name_, key, value, "an array of strings");
  return value->strings;
}

Result<std::vector<int64_t>> GgufFile::get_int_array(std::string_view key) const {
  const GgufValue* value = find(key);
  if (value == nullptr || value->type != GgufType::ARRAY ||
      !(is_signed_integer(value->elem_type) || is_unsigned_integer(value->elem_type)))
    return key_error(source_name_, key, value, "an array of integers");
  std::vector<int64_t> out(static_cast<size_t>(value->count));
  for (uint64_t k = 0; k < value->count; ++k)
    if (!array_int(*value, k, &out[k]))
      return Error{source_name_ + ": element " + std::to_string(k) + " of metadata key '" + std::string(key) +
                   "' does not fit in a signed 64-bit integer"};
  return out;
}

Result<std::vector<float>> GgufFile::get_float_array(std::string_view key) const {
  const GgufValue* value = find(key);
  if (value == nullptr || value->type != GgufType::ARRAY) return key_error(source_name_, key, value, "an array of numbers");
  std::vector<float> out(static_cast<size_t>(value->count));
  if (value->elem_type == GgufType::F32) {
    for (uint64_t k = 0; k < value->count; ++k) out[k] = load<float>(value->elems, k);
  } else if (value->elem_type == GgufType::F64) {
    for (uint64_t k = 0; k < value->count; ++k) out[k] = static_cast<float>(load<double>(value->elems, k));
  } else {
    for (uint64_t k = 0; k < value->count; ++k) {
      int64_t element = 0;
      if (!array_int(*value, k, &element)) return key_error(source_name_, key, value, "an array of numbers");
      out[k] = static_cast<float>(element);
    }
  }
  return out;
}

}  // namespace keel
