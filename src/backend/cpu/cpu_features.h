// Which vector extensions the CPU keel runs on offers, detected once.
//
// Release builds target baseline x86-64 so that one binary runs anywhere;
// the hot kernels that are written with AVX2 intrinsics (weight decoding,
// the matmul panel) carry KEEL_TARGET_AVX2 and are called only when
// cpu_features().avx2 says the CPU has AVX2, FMA and F16C.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(KEEL_NO_MULTIVERSION)
#define KEEL_X86_KERNELS 1
#define KEEL_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#else
#define KEEL_X86_KERNELS 0
#define KEEL_TARGET_AVX2
#endif

namespace keel {

struct CpuFeatures {
  bool avx2 = false;  // AVX2 + FMA + F16C (Intel Haswell, AMD Zen and later)
};

const CpuFeatures& cpu_features();

}  // namespace keel
