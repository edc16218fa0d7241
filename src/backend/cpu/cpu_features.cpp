#include "backend/cpu/cpu_features.h"

#if KEEL_X86_KERNELS
#include <cpuid.h>
#endif

namespace keel {

namespace {

CpuFeatures detect() {
  CpuFeatures features;
#if KEEL_X86_KERNELS
  // __builtin_cpu_supports also checks that the OS saves the YMM registers.
  // F16C is read from CPUID leaf 1 (ECX bit 29): not every compiler's
  // __builtin_cpu_supports knows its name.
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 29)) != 0;
  features.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c;
#endif
  return features;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

}  // namespace keel
