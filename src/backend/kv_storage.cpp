#include "backend/kv_storage.h"

#include <string>

namespace keel {

int64_t KvStorageShape::row_bytes() const { return static_cast<int64_t>(dtype_row_bytes(dtype, row_elems())); }

bool is_kv_dtype(DType dtype) { return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16; }

Result<DType> parse_kv_dtype(std::string_view name) {
  if (name == "f32") return DType::F32;
  if (name == "f16") return DType::F16;
  if (name == "bf16") return DType::BF16;
  return Error{"unknown KV cache dtype '" + std::string(name) + "': choose f32, f16 or bf16"};
}

}  // namespace keel
