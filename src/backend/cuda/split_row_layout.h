// The CUDA backend's device layout of Q8_0 and Q6_K weight rows.
//
// GGUF stores a Q8_0 block as 34 bytes (an f16 scale, then 32 int8 values)
// and a Q6_K block as 210 (208 bytes of quantized values and sub-block
// scales, then an f16 scale). Neither is a multiple of 16 (or of 4), so on
// the device a block lies only 2-byte aligned and a lane cannot load it as
// whole words: the first integer matvec staged every span through shared
// memory and read these types at 40-52% of the copy bandwidth. So the CUDA
// backend stores each such row, in the same number of bytes, split into
// the blocks' bodies and their f16 scales:
//
//   [ body of block 0 | body of block 1 | ... | scale 0 | scale 1 | ... ]
//   Q8_0: body = the 32 int8 values (32 bytes); Q6_K: ql, qh and the
//   sixteen int8 sub-block scales, in their GGUF order (208 bytes).
//
// Every row keeps its row_bytes, so a range of rows (a fused QKV weight's
// parts, a panel of rows) is still a plain offset; each body starts 16-byte
// aligned wherever the row does (row_bytes a multiple of 16: Q8_0 rows of a
// multiple of 256 columns, Q6_K rows of a multiple of 2,048). The numbers
// are the stored ones, moved: every kernel decodes the same values.
//
// Plain C++ (no CUDA header), so that the CPU tests check it too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

// The offsets below are used by host code and by kernels.
#if defined(__CUDACC__)
#define KEEL_HOST_DEVICE __host__ __device__
#else
#define KEEL_HOST_DEVICE
#endif

namespace keel::cuda {

// The block types split this way: their stored sizes, and where the f16
// scale sits in the stored block.
constexpr int64_t kQ8_0BlockBytes = 34, kQ8_0ScaleAt = 0;
constexpr int64_t kQ6_KBlockBytes = 210, kQ6_KScaleAt = 208;

// Byte offsets, within a split row of `blocks` blocks of `block_bytes`
// each, of block b's body and of its scale.
KEEL_HOST_DEVICE constexpr int64_t split_body_offset(int64_t block_bytes, int64_t block) {
  return (block_bytes - 2) * block;
}
KEEL_HOST_DEVICE constexpr int64_t split_scale_offset(int64_t block_bytes, int64_t blocks, int64_t block) {
  return (block_bytes - 2) * blocks + 2 * block;
}

// `rows` GGUF rows of `blocks` blocks each (`block_bytes` each, the scale
// at byte `scale_at`) from `gguf` into the split layout at `split` (the
// same byte count; the two must not overlap).
inline void split_block_rows(int64_t block_bytes, int64_t scale_at, const std::byte* gguf, std::byte* split,
                             int64_t rows, int64_t blocks) {
  const int64_t row_bytes = blocks * block_bytes;
  for (int64_t r = 0; r < rows; ++r) {
    const std::byte* from = gguf + r * row_bytes;
    std::byte* to = split + r * row_bytes;
    for (int64_t b = 0; b < blocks; ++b) {
      const std::byte* block = from + b * block_bytes;
      std::byte* body = to + split_body_offset(block_bytes, b);
      std::memcpy(to + split_scale_offset(block_bytes, blocks, b), block + scale_at, 2);
      std::memcpy(body, block, static_cast<size_t>(scale_at));  // the bytes before the scale
      std::memcpy(body + scale_at, block + scale_at + 2, static_cast<size_t>(block_bytes - scale_at - 2));  // after it
    }
  }
}

}  // namespace keel::cuda
