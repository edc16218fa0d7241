// SpanLoader: one warp's copy of a span of weight bytes into shared memory,
// for the weight-streaming matvecs (matvec.cu, matvec_int.cu).
//
// The copy comes in two halves so that the loads of the next span are in
// flight while the current one is decoded: load() issues the coalesced
// global loads (kVec bytes a lane per load, into registers), store() puts
// them into the warp's shared stage.
#pragma once

#include <cstdint>
#include <type_traits>

namespace keel::cuda {

template <int kVec, int kSpanBytes>
struct SpanLoader {
  using Word = typename std::conditional<kVec == 16, uint4,
                                         typename std::conditional<kVec == 4, uint32_t, uint8_t>::type>::type;
  static constexpr int kWordsPerLane = (kSpanBytes / kVec + 31) / 32;
  Word words[kWordsPerLane];
  const uint8_t* src = nullptr;
  int bytes = 0;

  __device__ void load(const uint8_t* from, int n_bytes, int lane) {
    src = from;
    bytes = n_bytes;
    const int n_words = bytes / kVec;
#pragma unroll
    for (int i = 0; i < kWordsPerLane; ++i)
      if (lane + 32 * i < n_words) words[i] = __ldg(reinterpret_cast<const Word*>(src) + lane + 32 * i);
  }
  __device__ void store(uint8_t* stage, int lane) const {
    const int n_words = bytes / kVec;
#pragma unroll
    for (int i = 0; i < kWordsPerLane; ++i)
      if (lane + 32 * i < n_words) reinterpret_cast<Word*>(stage)[lane + 32 * i] = words[i];
    for (int i = n_words * kVec + lane; i < bytes; i += 32) stage[i] = src[i];  // a short last span's tail
  }
};

}  // namespace keel::cuda
