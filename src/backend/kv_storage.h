// KvStorage: the bytes of the paged KV cache, in the backend's memory.
//
// Per layer, keys and values are each
//   [blocks, block_size, kv_heads, head_dim]   in `dtype` (f32, f16 or bf16)
// so the K row of KV slot s (= block * block_size + offset, the address the
// step's slot_mapping and block_tables give) starts at element
// s * kv_heads * head_dim of the layer. kv/ decides which block holds what;
// the storage only holds the bytes, reserved once when the engine starts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "backend/device_buffer.h"
#include "core/dtype.h"
#include "core/result.h"

namespace keel {

struct KvStorageShape {
  int32_t layers = 0;
  int32_t blocks = 0;
  int32_t block_size = 0;  // tokens per block
  int32_t kv_heads = 0;
  int32_t head_dim = 0;
  DType dtype = DType::F32;

  int64_t row_elems() const { return int64_t{kv_heads} * head_dim; }
  int64_t slots() const { return int64_t{blocks} * block_size; }
  // Bytes of one K (or V) row: one token of one layer.
  int64_t row_bytes() const;
  // Bytes of K and V for one block across all layers: what --kv-cache-memory buys.
  int64_t bytes_per_block() const { return 2 * int64_t{layers} * block_size * row_bytes(); }
  // Bytes of one layer's K (or V).
  int64_t layer_bytes() const { return slots() * row_bytes(); }
};

// The dtypes KV may be stored in.
bool is_kv_dtype(DType dtype);
// "f32" | "f16" | "bf16" -> DType; anything else is an Error that lists them.
Result<DType> parse_kv_dtype(std::string_view name);

class KvStorage {
 public:
  // `keys` and `values` each hold layers * layer_bytes() bytes.
  KvStorage(const KvStorageShape& shape, DeviceBuffer keys, DeviceBuffer values)
      : shape_(shape), keys_(std::move(keys)), values_(std::move(values)) {}

  const KvStorageShape& shape() const { return shape_; }
  // First byte of layer `layer`'s keys / values ([slots, kv_heads, head_dim]).
  std::byte* keys(int32_t layer) const { return keys_.as<std::byte>() + layer * shape_.layer_bytes(); }
  std::byte* values(int32_t layer) const { return values_.as<std::byte>() + layer * shape_.layer_bytes(); }
  bool host_visible() const { return keys_.host_visible(); }

 private:
  KvStorageShape shape_;
  DeviceBuffer keys_;    // [layers, slots, kv_heads, head_dim]
  DeviceBuffer values_;
};

}  // namespace keel
