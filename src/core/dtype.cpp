#include "core/dtype.h"

#include <array>
#include <cctype>
#include <string>

#include "core/check.h"

namespace keel {
namespace {

// Indexed by DType; ggml ids from the GGUF specification.
constexpr std::array<DTypeInfo, 10> kInfos = {{
    {"f32", 1, 4, 0},
    {"f16", 1, 2, 1},
    {"bf16", 1, 2, 30},
    {"q8_0", 32, 34, 8},
    {"q4_0", 32, 18, 2},
    {"q4_1", 32, 20, 3},
    {"q5_0", 32, 22, 6},
    {"q4_k", 256, 144, 12},
    {"q5_k", 256, 176, 13},
    {"q6_k", 256, 210, 14},
}};

}  // namespace

const DTypeInfo& dtype_info(DType type) { return kInfos[static_cast<size_t>(type)]; }

std::optional<DType> dtype_from_ggml(uint32_t ggml_type) {
  for (size_t i = 0; i < kInfos.size(); ++i)
    if (kInfos[i].ggml_type == ggml_type) return static_cast<DType>(i);
  return std::nullopt;
}

std::optional<DType> dtype_from_name(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (size_t i = 0; i < kInfos.size(); ++i)
    if (kInfos[i].name == lower) return static_cast<DType>(i);
  return std::nullopt;
}

size_t dtype_row_bytes(DType type, int64_t elems) {
  const DTypeInfo& info = dtype_info(type);
  KEEL_CHECK(elems >= 0 && elems % info.block_elems == 0, "row length not a multiple of the block size");
  return static_cast<size_t>(elems / info.block_elems) * static_cast<size_t>(info.block_bytes);
}

bool is_quantized(DType type) { return dtype_info(type).block_elems > 1; }

}  // namespace keel
