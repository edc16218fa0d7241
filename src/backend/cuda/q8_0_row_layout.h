// The CUDA backend's device layout of a Q8_0 weight row.
//
// GGUF stores a Q8_0 row as blocks of 34 bytes: an f16 scale, then 32 int8
// values. 34 is not a multiple of 4, so a block's values lie only 2-byte
// aligned and a lane cannot load them as whole words: the first integer
// matvec staged every span through shared memory and reached about half
// the copy bandwidth. So the CUDA backend stores each Q8_0 row, in the same
// number of bytes, split into its values and its scales:
//
//   [ values: cols int8 | scales: cols / 32 f16 ]
//   block b's values at byte 32·b, its scale at byte cols + 2·b.
//
// Every row keeps its row_bytes, so a range of rows (a fused QKV weight's
// parts, a panel of rows) is still a plain offset, and where row_bytes is a
// multiple of 16 (cols a multiple of 256, as in every real model) each
// block's values start 16-byte aligned. The values and scales are the
// stored ones, moved: every kernel decodes the same numbers as before.
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

constexpr int64_t kQ8_0BlockElems = 32;
constexpr int64_t kQ8_0BlockBytes = 34;  // f16 scale + 32 int8

// Byte offsets, within a split row of `cols` elements, of block b's values
// and of its scale.
KEEL_HOST_DEVICE constexpr int64_t q8_0_values_offset(int64_t block) { return kQ8_0BlockElems * block; }
KEEL_HOST_DEVICE constexpr int64_t q8_0_scale_offset(int64_t cols, int64_t block) { return cols + 2 * block; }

// `rows` GGUF Q8_0 rows of `cols` elements (cols a multiple of 32) from
// `gguf` into the split layout at `split` (the same byte count; the two
// must not overlap).
inline void split_q8_0_rows(const std::byte* gguf, std::byte* split, int64_t rows, int64_t cols) {
  const int64_t blocks = cols / kQ8_0BlockElems;
  const int64_t row_bytes = blocks * kQ8_0BlockBytes;
  for (int64_t r = 0; r < rows; ++r) {
    const std::byte* from = gguf + r * row_bytes;
    std::byte* to = split + r * row_bytes;
    for (int64_t b = 0; b < blocks; ++b) {
      const std::byte* block = from + b * kQ8_0BlockBytes;
      std::memcpy(to + q8_0_scale_offset(cols, b), block, 2);
      std::memcpy(to + q8_0_values_offset(b), block + 2, kQ8_0BlockElems);
    }
  }
}

}  // namespace keel::cuda
