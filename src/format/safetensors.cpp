// safetensors header parsing (layout: ../shared/reference/
// models-and-formats.md §3). Validation follows the reference parser:
// header at most 100 MB and inside the file, a JSON object, offsets
// relative to the byte buffer that, sorted, cover it exactly with no gap or
// overlap, and each tensor's byte length equal to shape × dtype size.
// Stricter than the reference in two ways, both cheap: duplicate
// top-level keys are rejected (the README forbids them; nlohmann would
// silently keep the last), and shape products are overflow-checked.
#include "format/safetensors.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "format/checked_math.h"

namespace keel {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr uint64_t kHeaderLengthBytes = 8;

struct SafetensorsDType {
  std::string_view name;
  int bits;                     // element size; sub-byte types pack several per byte
  std::optional<DType> keel;    // set for the dtypes keel computes with
};

// Every dtype the reference implementation defines.
constexpr std::array<SafetensorsDType, 22> kDTypes = {{
    {"BOOL", 8, std::nullopt},     {"U8", 8, std::nullopt},      {"I8", 8, std::nullopt},
    {"I16", 16, std::nullopt},     {"U16", 16, std::nullopt},    {"F16", 16, DType::F16},
    {"BF16", 16, DType::BF16},     {"I32", 32, std::nullopt},    {"U32", 32, std::nullopt},
    {"F32", 32, DType::F32},       {"F64", 64, std::nullopt},    {"I64", 64, std::nullopt},
    {"U64", 64, std::nullopt},     {"F8_E5M2", 8, std::nullopt}, {"F8_E4M3", 8, std::nullopt},
    {"F8_E8M0", 8, std::nullopt},  {"F4", 4, std::nullopt},      {"F6_E2M3", 6, std::nullopt},
    {"F6_E3M2", 6, std::nullopt},  {"C64", 64, std::nullopt},    {"F8_E4M3FNUZ", 8, std::nullopt},
    {"F8_E5M2FNUZ", 8, std::nullopt},
}};

const SafetensorsDType* find_dtype(std::string_view name) {
  for (const SafetensorsDType& dtype : kDTypes)
    if (dtype.name == name) return &dtype;
  return nullptr;
}

// One tensor entry after its own checks, before the buffer-coverage check.
struct Entry {
  std::string name;
  const SafetensorsDType* dtype = nullptr;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

class HeaderParser {
 public:
  explicit HeaderParser(const std::string& source) : source_(source) {}

  Error error(const std::string& what) const { return Error{source_ + ": " + what}; }
  Error tensor_error(const std::string& name, const std::string& what) const {
    return Error{source_ + ": tensor '" + name + "': " + what};
  }

  Result<Entry> parse_entry(const std::string& name, const nlohmann::json& info) const {
    if (!info.is_object()) return tensor_error(name, "entry is not a JSON object");
    const auto dtype_it = info.find("dtype");
    const auto shape_it = info.find("shape");
    const auto offsets_it = info.find("data_offsets");
    if (dtype_it == info.end() || !dtype_it->is_string()) return tensor_error(name, "missing string field \"dtype\"");
    if (shape_it == info.end() || !shape_it->is_array()) return tensor_error(name, "missing array field \"shape\"");
    if (offsets_it == info.end() || !offsets_it->is_array() || offsets_it->size() != 2)
      return tensor_error(name, "\"data_offsets\" must be an array of two offsets");

    Entry entry;
    entry.name = name;
    const std::string& dtype_name = dtype_it->get_ref<const std::string&>();
    entry.dtype = find_dtype(dtype_name);
    if (entry.dtype == nullptr) return tensor_error(name, "unknown dtype \"" + dtype_name + "\"");

    uint64_t elements = 1;
    for (const nlohmann::json& dim : *shape_it) {
      if (!dim.is_number_unsigned()) return tensor_error(name, "shape entries must be non-negative integers");
      const uint64_t value = dim.get<uint64_t>();
      if (!checked_mul(elements, value, &elements) || elements > INT64_MAX)
        return tensor_error(name, "shape " + shape_it->dump() + " has too many elements");
      entry.shape.push_back(static_cast<int64_t>(value));
    }
    uint64_t bits = 0;
    if (!checked_mul(elements, static_cast<uint64_t>(entry.dtype->bits), &bits))
      return tensor_error(name, "byte size overflows");
    if (bits % 8 != 0) return tensor_error(name, "sub-byte dtype does not fill whole bytes");
    const uint64_t nbytes = bits / 8;

    for (const nlohmann::json& offset : *offsets_it)
      if (!offset.is_number_unsigned()) return tensor_error(name, "data_offsets must be non-negative integers");
    entry.begin = (*offsets_it)[0].get<uint64_t>();
    entry.end = (*offsets_it)[1].get<uint64_t>();
    if (entry.end < entry.begin)
      return tensor_error(name, "data_offsets end " + std::to_string(entry.end) + " is before begin " +
                                    std::to_string(entry.begin));
    if (entry.end - entry.begin != nbytes)
      return tensor_error(name, "data_offsets span " + std::to_string(entry.end - entry.begin) +
                                    " bytes but shape " + shape_it->dump() + " of " + dtype_name + " needs " +
                                    std::to_string(nbytes));
    return entry;
  }

  Status parse_metadata(const nlohmann::json& value, std::map<std::string, std::string, std::less<>>* out) const {
    if (!value.is_object()) return error("__metadata__ is not a JSON object");
    for (const auto& [key, item] : value.items()) {
      if (!item.is_string()) return error("__metadata__ value of '" + key + "' is not a string");
      out->emplace(key, item.get<std::string>());
    }
    return ok_status();
  }

  // Sorted by offset, the tensors must tile [0, buffer_size) exactly.
  Status check_coverage(std::vector<Entry>& entries, uint64_t buffer_size) const {
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t expected = 0;
    for (const Entry& entry : entries) {
      if (entry.begin < expected) return tensor_error(entry.name, "overlaps the previous tensor (data_offsets begin " +
                                                                      std::to_string(entry.begin) + ")");
      if (entry.begin > expected)
        return tensor_error(entry.name, "leaves a hole: data begins at " + std::to_string(entry.begin) +
                                            ", previous tensor ends at " + std::to_string(expected));
      expected = entry.end;
    }
    if (expected != buffer_size)
      return error("tensors cover " + std::to_string(expected) + " bytes of a " + std::to_string(buffer_size) +
                   "-byte data buffer (file size does not match the header)");
    return ok_status();
  }

 private:
  const std::string& source_;
};

// Why a well-formed tensor cannot become a TensorView, or empty if it can.
std::string unsupported_reason(const Entry& entry) {
  if (!entry.dtype->keel) return "dtype " + std::string(entry.dtype->name) + " is not supported (keel reads F32, F16, BF16)";
  if (entry.shape.size() > static_cast<size_t>(TensorView::kMaxRank))
    return "rank " + std::to_string(entry.shape.size()) + " exceeds the supported maximum of 4";
  for (int64_t dim : entry.shape)
    if (dim == 0) return "tensor is empty (a dimension is 0)";
  return {};
}

}  // namespace

Result<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  KEEL_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::open(path));
  auto owned = std::make_unique<MappedFile>(std::move(mapped));
  KEEL_ASSIGN_OR_RETURN(SafetensorsFile file, parse(owned->data(), owned->size(), path.string()));
  file.file_ = std::move(owned);  // the views above point into this mapping, which does not move
  return file;
}

Result<SafetensorsFile> SafetensorsFile::parse(const std::byte* bytes, size_t size, std::string source_name) {
  SafetensorsFile file;
  file.source_name_ = std::move(source_name);
  const HeaderParser parser(file.source_name_);
  if (size < kHeaderLengthBytes) return parser.error("file too short for a safetensors header length");
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes, sizeof(header_size));
  if (header_size > kMaxHeaderBytes)
    return parser.error("header length " + std::to_string(header_size) + " exceeds the 100 MB limit");
  if (header_size > size - kHeaderLengthBytes)
    return parser.error("header length " + std::to_string(header_size) + " is larger than the file (" +
                        std::to_string(size) + " bytes)");

  // Parse without exceptions; a callback spots duplicate top-level keys,
  // which nlohmann would otherwise resolve silently.
  const auto* header_begin = reinterpret_cast<const char*>(bytes + kHeaderLengthBytes);
  std::set<std::string> top_level_keys;
  std::string duplicate;
  const nlohmann::json::parser_callback_t on_event = [&](int depth, nlohmann::json::parse_event_t event,
                                                         nlohmann::json& parsed) {
    if (event == nlohmann::json::parse_event_t::key && depth == 1 && duplicate.empty() && parsed.is_string() &&
        !top_level_keys.insert(parsed.get<std::string>()).second)
      duplicate = parsed.get<std::string>();
    return true;
  };
  const nlohmann::json header =
      nlohmann::json::parse(header_begin, header_begin + header_size, on_event, /*allow_exceptions=*/false);
  if (header.is_discarded()) return parser.error("header is not valid JSON");
  if (!header.is_object()) return parser.error("header is not a JSON object");
  if (!duplicate.empty()) return parser.error("duplicate key '" + duplicate + "' in header");

  std::vector<Entry> entries;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      KEEL_TRY(parser.parse_metadata(info, &file.metadata_));
      continue;
    }
    KEEL_ASSIGN_OR_RETURN(Entry entry, parser.parse_entry(name, info));
    entries.push_back(std::move(entry));
  }
  const uint64_t buffer_offset = kHeaderLengthBytes + header_size;
  KEEL_TRY(parser.check_coverage(entries, size - buffer_offset));

  for (const Entry& entry : entries) {
    std::string reason = unsupported_reason(entry);
    if (!reason.empty()) {
      file.unsupported_.emplace(entry.name, std::move(reason));
      continue;
    }
    TensorView view;
    view.dtype = *entry.dtype->keel;
    view.rank = static_cast<int>(entry.shape.size());
    std::copy(entry.shape.begin(), entry.shape.end(), view.shape.begin());
    view.data = bytes + buffer_offset + entry.begin;
    view.nbytes = static_cast<size_t>(entry.end - entry.begin);
    file.tensors_.emplace(entry.name, view);
  }
  return file;
}

}  // namespace keel
