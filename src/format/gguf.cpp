// GGUF header parsing and validation (layout: ../shared/reference/
// models-and-formats.md §2). Everything here treats the file as hostile:
// each count is compared with the bytes left before anything is reserved,
// each size computation is overflow-checked, and every failure is an Error
// naming the file, the key or tensor concerned, and the byte offset.
//
// Choices beyond the specification, and why:
// * Metadata keys and tensor names must be valid UTF-8 and non-empty: they
//   are identifiers we compare against literals, so invalid bytes can only
//   mean corruption. String values keep their raw bytes, since vocabularies
//   legitimately hold byte tokens that are not UTF-8 on their own.
// * Every dimension must be at least 1. llama.cpp tolerates empty tensors,
//   but no model has one and TensorView::rows() divides by the last
//   dimension.
// * Tensor blobs may appear in any order (llama.cpp insists on its own
//   writer's order); they must be aligned, inside the file, and disjoint.
#include "format/gguf.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "format/byte_reader.h"
#include "format/checked_math.h"
#include "core/utf8.h"

namespace keel {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr uint32_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;
constexpr size_t kMaxTensorNameBytes = 63;  // ggml keeps names in char[64] with a NUL

// The fewest bytes one entry can occupy; a count larger than
// remaining / minimum cannot be honest, so it is rejected before any
// allocation sized by it.
constexpr uint64_t kMinKeyValueBytes = 8 + 1 + 4 + 1;  // key length, 1-byte key, type, u8 value
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 4 + 8;  // name length, 1-byte name, n_dims, type, offset
constexpr uint64_t kMinStringBytes = 8;  // length prefix of an empty string

// Builds the messages; every one carries the source name and an offset.
class ErrorContext {
 public:
  explicit ErrorContext(const std::string& source) : source_(source) {}
  Error at(size_t offset, const std::string& what) const {
    return Error{source_ + ": " + what + " (at byte offset " + std::to_string(offset) + ")"};
  }

 private:
  const std::string& source_;
};

// Size in bytes of a fixed-width value type, 0 for STRING, ARRAY and unknown ids.
size_t scalar_size(uint32_t type) {
  switch (static_cast<GgufType>(type)) {
    case GgufType::U8: case GgufType::I8: case GgufType::BOOL: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    case GgufType::STRING: case GgufType::ARRAY: return 0;
  }
  return 0;
}

// "'name'" for messages. Built by appending: GCC 12 warns falsely
// (-Wrestrict) about `"'" + std::string(...)` chains.
std::string quote(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '\'';
  out += name;
  out += '\'';
  return out;
}

bool is_known_type(uint32_t type) { return type <= static_cast<uint32_t>(GgufType::F64); }

class GgufParser {
 public:
  GgufParser(const std::byte* bytes, size_t size, const std::string& source)
      : reader_(bytes, size), bytes_(bytes), size_(size), errors_(source) {}

  Result<uint32_t> read_header(uint64_t* n_tensors, uint64_t* n_kv);
  Status read_metadata(uint64_t n_kv, std::vector<std::pair<std::string_view, GgufValue>>* out);
  Result<uint32_t> find_alignment(const std::vector<std::pair<std::string_view, GgufValue>>& metadata) const;
  Status read_tensor_infos(uint64_t n_tensors, uint32_t alignment, std::vector<GgufTensorInfo>* out);

 private:
  Result<std::string_view> read_string(const char* what);
  Result<std::string_view> read_name(const char* what);
  Status read_scalar(uint32_t type, GgufValue* value, std::string_view key);
  Status read_array(GgufValue* value, std::string_view key);
  Result<GgufTensorInfo> read_tensor_info(uint64_t* nbytes);
  Status place_tensors(uint32_t alignment, std::vector<GgufTensorInfo>* tensors,
                       const std::vector<uint64_t>& nbytes);

  ByteReader reader_;
  const std::byte* bytes_;
  size_t size_;
  ErrorContext errors_;
};

Result<uint32_t> GgufParser::read_header(uint64_t* n_tensors, uint64_t* n_kv) {
  uint32_t magic = 0;
  if (!reader_.read(&magic)) return errors_.at(0, "file too short for a GGUF header");
  if (magic != kMagic) return errors_.at(0, "not a GGUF file (bad magic)");
  uint32_t version = 0;
  if (!reader_.read(&version)) return errors_.at(4, "file ends inside the GGUF version");
  // A big-endian writer stores 3 as 00 00 00 03, which reads as 0x03000000
  // here: the low 16 bits are zero for every plausible version.
  if (version != 0 && (version & 0xFFFF) == 0)
    return errors_.at(4, "big-endian GGUF files are not supported (version reads as " +
                             std::to_string(version) + ")");
  if (version != 2 && version != 3)
    return errors_.at(4, "unsupported GGUF version " + std::to_string(version) + " (keel reads versions 2 and 3)");

  int64_t signed_tensors = 0, signed_kv = 0;
  if (!reader_.read(&signed_tensors)) return errors_.at(reader_.offset(), "file ends inside the tensor count");
  if (!reader_.read(&signed_kv)) return errors_.at(reader_.offset(), "file ends inside the metadata count");
  if (signed_tensors < 0) return errors_.at(8, "negative tensor count " + std::to_string(signed_tensors));
  if (signed_kv < 0) return errors_.at(16, "negative metadata count " + std::to_string(signed_kv));
  *n_tensors = static_cast<uint64_t>(signed_tensors);
  *n_kv = static_cast<uint64_t>(signed_kv);
  return version;
}

Result<std::string_view> GgufParser::read_string(const char* what) {
  const size_t start = reader_.offset();
  uint64_t length = 0;
  if (!reader_.read(&length)) return errors_.at(start, std::string("file ends inside the length of ") + what);
  std::string_view text;
  if (!reader_.read_chars(length, &text))
    return errors_.at(start, std::string(what) + " length " + std::to_string(length) + " runs past the end of the file");
  return text;
}

// Keys and tensor names: non-empty, valid UTF-8 (see the file comment).
Result<std::string_view> GgufParser::read_name(const char* what) {
  const size_t start = reader_.offset();
  KEEL_ASSIGN_OR_RETURN(std::string_view name, read_string(what));
  if (name.empty()) return errors_.at(start, std::string("empty ") + what);
  if (!utf8::is_valid(name)) return errors_.at(start, std::string(what) + " is not valid UTF-8");
  return name;
}

Status GgufParser::read_scalar(uint32_t type, GgufValue* value, std::string_view key) {
  const size_t start = reader_.offset();
  auto truncated = [&] { return errors_.at(start, "file ends inside the value of key " + quote(key)); };
  bool ok = true;
  switch (static_cast<GgufType>(type)) {
    case GgufType::U8: { uint8_t v = 0; ok = reader_.read(&v); value->u = v; break; }
    case GgufType::U16: { uint16_t v = 0; ok = reader_.read(&v); value->u = v; break; }
    case GgufType::U32: { uint32_t v = 0; ok = reader_.read(&v); value->u = v; break; }
    case GgufType::U64: { uint64_t v = 0; ok = reader_.read(&v); value->u = v; break; }
    case GgufType::I8: { int8_t v = 0; ok = reader_.read(&v); value->i = v; break; }
    case GgufType::I16: { int16_t v = 0; ok = reader_.read(&v); value->i = v; break; }
    case GgufType::I32: { int32_t v = 0; ok = reader_.read(&v); value->i = v; break; }
    case GgufType::I64: { int64_t v = 0; ok = reader_.read(&v); value->i = v; break; }
    case GgufType::F32: { float v = 0; ok = reader_.read(&v); value->f = v; break; }
    case GgufType::F64: { double v = 0; ok = reader_.read(&v); value->f = v; break; }
    case GgufType::BOOL: { uint8_t v = 0; ok = reader_.read(&v); value->u = v != 0; break; }
    case GgufType::STRING: {
      auto text = read_string("string value");
      if (!text.ok()) return errors_.at(start, "string value of key " + quote(key) + " runs past the end of the file");
      value->str = *text;
      break;
    }
    case GgufType::ARRAY:
      return read_array(value, key);
    default:
      return errors_.at(start, "unknown value type " + std::to_string(type) + " for key " + quote(key));
  }
  if (!ok) return truncated();
  return ok_status();
}

Status GgufParser::read_array(GgufValue* value, std::string_view key) {
  const size_t start = reader_.offset();
  const std::string quoted_key = quote(key);
  uint32_t elem_type = 0;
  uint64_t count = 0;
  if (!reader_.read(&elem_type) || !reader_.read(&count))
    return errors_.at(start, "file ends inside the array header of key " + quoted_key);
  if (elem_type == static_cast<uint32_t>(GgufType::ARRAY))
    return errors_.at(start, "nested arrays are not allowed (key " + quoted_key + ")");
  if (!is_known_type(elem_type))
    return errors_.at(start, "unknown array element type " + std::to_string(elem_type) + " for key " + quoted_key);
  value->elem_type = static_cast<GgufType>(elem_type);
  value->count = count;

  if (value->elem_type == GgufType::STRING) {
    if (count > reader_.remaining() / kMinStringBytes)
      return errors_.at(start, "array count " + std::to_string(count) + " of key " + quoted_key +
                                   " is larger than the rest of the file could hold");
    value->strings.reserve(static_cast<size_t>(count));
    for (uint64_t k = 0; k < count; ++k) {
      const size_t element_start = reader_.offset();
      auto text = read_string("array string");
      if (!text.ok())
        return errors_.at(element_start, "string " + std::to_string(k) + " of array " + quoted_key +
                                             " runs past the end of the file");
      value->strings.push_back(*text);
    }
    return ok_status();
  }
  const uint64_t elem_size = scalar_size(elem_type);
  if (count > reader_.remaining() / elem_size)
    return errors_.at(start, "array count " + std::to_string(count) + " of key " + quoted_key +
                                 " is larger than the rest of the file could hold");
  if (!reader_.read_bytes(count * elem_size, &value->elems))
    return errors_.at(start, "array of key " + quoted_key + " runs past the end of the file");
  return ok_status();
}

Status GgufParser::read_metadata(uint64_t n_kv, std::vector<std::pair<std::string_view, GgufValue>>* out) {
  if (n_kv > reader_.remaining() / kMinKeyValueBytes)
    return errors_.at(16, "metadata count " + std::to_string(n_kv) + " is larger than the file could hold");
  out->reserve(static_cast<size_t>(n_kv));
  std::unordered_set<std::string_view> seen;
  for (uint64_t k = 0; k < n_kv; ++k) {
    const size_t start = reader_.offset();
    KEEL_ASSIGN_OR_RETURN(std::string_view key, read_name("metadata key"));
    if (!seen.insert(key).second) return errors_.at(start, "duplicate metadata key " + quote(key));
    uint32_t type = 0;
    if (!reader_.read(&type)) return errors_.at(reader_.offset(), "file ends inside the type of key " + quote(key));
    if (!is_known_type(type))
      return errors_.at(reader_.offset() - 4, "unknown value type " + std::to_string(type) + " for key " + quote(key));
    GgufValue value;
    value.type = static_cast<GgufType>(type);
    KEEL_TRY(read_scalar(type, &value, key));
    out->emplace_back(key, std::move(value));
  }
  return ok_status();
}

Result<uint32_t> GgufParser::find_alignment(const std::vector<std::pair<std::string_view, GgufValue>>& metadata) const {
  for (const auto& [key, value] : metadata) {
    if (key != "general.alignment") continue;
    if (value.type != GgufType::U32)
      return errors_.at(0, "general.alignment must be a u32, found " + std::string(gguf_type_name(value.type)));
    if (value.u == 0 || !std::has_single_bit(value.u))
      return errors_.at(0, "general.alignment " + std::to_string(value.u) + " is not a non-zero power of two");
    return static_cast<uint32_t>(value.u);
  }
  return kDefaultAlignment;
}

Result<GgufTensorInfo> GgufParser::read_tensor_info(uint64_t* nbytes) {
  const size_t start = reader_.offset();
  KEEL_ASSIGN_OR_RETURN(std::string_view name, read_name("tensor name"));
  const std::string quoted = "tensor " + quote(name);
  if (name.size() > kMaxTensorNameBytes)
    return errors_.at(start, quoted + " name is " + std::to_string(name.size()) + " bytes; the limit is " +
                                 std::to_string(kMaxTensorNameBytes));
  uint32_t n_dims = 0;
  if (!reader_.read(&n_dims)) return errors_.at(reader_.offset(), "file ends inside " + quoted);
  if (n_dims > kMaxDims)
    return errors_.at(reader_.offset() - 4, quoted + " has " + std::to_string(n_dims) + " dimensions; at most 4 are allowed");
  int64_t ne[kMaxDims] = {1, 1, 1, 1};
  for (uint32_t d = 0; d < n_dims; ++d) {
    if (!reader_.read(&ne[d])) return errors_.at(reader_.offset(), "file ends inside the shape of " + quoted);
    if (ne[d] <= 0)
      return errors_.at(reader_.offset() - 8, quoted + " has dimension ne[" + std::to_string(d) + "] = " +
                                                  std::to_string(ne[d]) + "; dimensions must be at least 1");
  }
  uint32_t ggml_type = 0;
  uint64_t offset = 0;
  if (!reader_.read(&ggml_type) || !reader_.read(&offset))
    return errors_.at(reader_.offset(), "file ends inside " + quoted);
  const std::optional<DType> dtype = dtype_from_ggml(ggml_type);
  if (!dtype)
    return errors_.at(start, quoted + " has ggml type " + std::to_string(ggml_type) + ", which keel does not read");
  const DTypeInfo& info = dtype_info(*dtype);
  if (ne[0] % info.block_elems != 0)
    return errors_.at(start, quoted + " row length " + std::to_string(ne[0]) + " is not a multiple of the " +
                                 std::string(info.name) + " block size " + std::to_string(info.block_elems));

  uint64_t elements = 1, rows = 1;
  for (uint32_t d = 0; d < kMaxDims; ++d)
    if (!checked_mul(elements, static_cast<uint64_t>(ne[d]), &elements) || elements > INT64_MAX)
      return errors_.at(start, quoted + " element count overflows");
  for (uint32_t d = 1; d < kMaxDims; ++d) rows *= static_cast<uint64_t>(ne[d]);  // <= elements, cannot overflow
  const uint64_t blocks_per_row = static_cast<uint64_t>(ne[0]) / static_cast<uint64_t>(info.block_elems);
  uint64_t row_bytes = 0;
  if (!checked_mul(blocks_per_row, static_cast<uint64_t>(info.block_bytes), &row_bytes) ||
      !checked_mul(row_bytes, rows, nbytes))
    return errors_.at(start, quoted + " byte size overflows");

  GgufTensorInfo tensor;
  tensor.name = std::string(name);
  tensor.ggml_type = ggml_type;
  tensor.offset = offset;
  tensor.view.dtype = *dtype;
  tensor.view.rank = static_cast<int>(n_dims);
  for (uint32_t d = 0; d < n_dims; ++d) tensor.view.shape[d] = ne[n_dims - 1 - d];  // outermost first
  return tensor;
}

Status GgufParser::read_tensor_infos(uint64_t n_tensors, uint32_t alignment, std::vector<GgufTensorInfo>* out) {
  if (n_tensors > reader_.remaining() / kMinTensorInfoBytes)
    return errors_.at(8, "tensor count " + std::to_string(n_tensors) + " is larger than the file could hold");
  out->reserve(static_cast<size_t>(n_tensors));
  std::vector<uint64_t> nbytes;
  nbytes.reserve(static_cast<size_t>(n_tensors));
  std::unordered_set<std::string_view> seen;
  for (uint64_t k = 0; k < n_tensors; ++k) {
    const size_t start = reader_.offset();
    uint64_t size = 0;
    KEEL_ASSIGN_OR_RETURN(GgufTensorInfo tensor, read_tensor_info(&size));
    out->push_back(std::move(tensor));
    nbytes.push_back(size);
    if (!seen.insert(out->back().name).second)
      return errors_.at(start, "duplicate tensor name '" + out->back().name + "'");
  }
  if (n_tensors == 0) return ok_status();  // vocab-only files need no data section
  return place_tensors(alignment, out, nbytes);
}

// Resolves each tensor's offset to a pointer into the file, after checking
// alignment, bounds and that no two blobs share a byte.
Status GgufParser::place_tensors(uint32_t alignment, std::vector<GgufTensorInfo>* tensors,
                                 const std::vector<uint64_t>& nbytes) {
  uint64_t data_start = 0;
  if (!checked_align_up(reader_.offset(), alignment, &data_start) || data_start > size_)
    return errors_.at(reader_.offset(), "file ends before the tensor data section");
  const uint64_t data_size = size_ - data_start;
  for (size_t k = 0; k < tensors->size(); ++k) {
    GgufTensorInfo& tensor = (*tensors)[k];
    const std::string quoted = "tensor " + quote(tensor.name);
    if (tensor.offset % alignment != 0)
      return errors_.at(data_start, quoted + " data offset " + std::to_string(tensor.offset) +
                                        " is not a multiple of the alignment " + std::to_string(alignment));
    if (tensor.offset > data_size || nbytes[k] > data_size - tensor.offset)
      return errors_.at(data_start, quoted + " data (offset " + std::to_string(tensor.offset) + ", " +
                                        std::to_string(nbytes[k]) + " bytes) runs past the end of the file");
    tensor.view.data = bytes_ + data_start + tensor.offset;
    tensor.view.nbytes = static_cast<size_t>(nbytes[k]);
  }
  std::vector<size_t> order(tensors->size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return (*tensors)[a].offset < (*tensors)[b].offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    const GgufTensorInfo& previous = (*tensors)[order[k - 1]];
    const GgufTensorInfo& current = (*tensors)[order[k]];
    if (previous.offset + nbytes[order[k - 1]] > current.offset)  // both terms are inside the file: no overflow
      return errors_.at(data_start, "tensor '" + current.name + "' overlaps tensor '" + previous.name + "'");
  }
  return ok_status();
}

}  // namespace

Result<GgufFile> GgufFile::open(const std::filesystem::path& path) {
  KEEL_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::open(path));
  KEEL_ASSIGN_OR_RETURN(GgufFile file, parse(mapped.data(), mapped.size(), path.string()));
  // Moving the mapping keeps its address, so the views parsed above stay valid.
  file.file_ = std::move(mapped);
  return file;
}

Result<GgufFile> GgufFile::parse(const std::byte* bytes, size_t size, std::string source_name) {
  GgufFile file;
  file.source_name_ = std::move(source_name);
  GgufParser parser(bytes, size, file.source_name_);
  uint64_t n_tensors = 0, n_kv = 0;
  KEEL_ASSIGN_OR_RETURN(file.version_, parser.read_header(&n_tensors, &n_kv));
  KEEL_TRY(parser.read_metadata(n_kv, &file.metadata_));
  KEEL_ASSIGN_OR_RETURN(file.alignment_, parser.find_alignment(file.metadata_));
  KEEL_TRY(parser.read_tensor_infos(n_tensors, file.alignment_, &file.tensors_));
  return file;
}

}  // namespace keel
