// 16 bytes loaded into registers from an address of known alignment, for
// the kernels that read weights straight from device memory (a split row,
// split_row_layout.h, starts only as aligned as its row_bytes allow).
#pragma once

#include <cstdint>
#include <type_traits>

namespace keel::cuda {

// 16 bytes at p, which is kAlign-byte aligned (16, 8, 4 or 2).
template <int kAlign>
__device__ inline uint4 load_16_bytes(const uint8_t* p) {
  if constexpr (kAlign == 16) {
    return __ldg(reinterpret_cast<const uint4*>(p));
  } else if constexpr (kAlign == 8) {
    const uint2 a = __ldg(reinterpret_cast<const uint2*>(p)), b = __ldg(reinterpret_cast<const uint2*>(p) + 1);
    return make_uint4(a.x, a.y, b.x, b.y);
  } else if constexpr (kAlign == 4) {
    const auto* words = reinterpret_cast<const uint32_t*>(p);
    return make_uint4(__ldg(words), __ldg(words + 1), __ldg(words + 2), __ldg(words + 3));
  } else {
    const auto* halves = reinterpret_cast<const uint16_t*>(p);
    uint32_t words[4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
      words[i] = static_cast<uint32_t>(__ldg(halves + 2 * i)) | (static_cast<uint32_t>(__ldg(halves + 2 * i + 1)) << 16);
    return make_uint4(words[0], words[1], words[2], words[3]);
  }
}

// Calls fn(std::integral_constant<int, A>{}) with A the widest of 16, 8, 4
// and 2 that the start of every row (w + r · row_bytes) is aligned to;
// offsets within a row that are multiples of 16 keep that alignment.
template <class Fn>
void with_row_alignment(const void* w, int64_t row_bytes, Fn&& fn) {
  const auto base = reinterpret_cast<uintptr_t>(w);
  auto aligned = [&](int64_t v) { return base % v == 0 && row_bytes % v == 0; };
  if (aligned(16)) {
    fn(std::integral_constant<int, 16>{});
  } else if (aligned(8)) {
    fn(std::integral_constant<int, 8>{});
  } else if (aligned(4)) {
    fn(std::integral_constant<int, 4>{});
  } else {
    fn(std::integral_constant<int, 2>{});
  }
}

}  // namespace keel::cuda
