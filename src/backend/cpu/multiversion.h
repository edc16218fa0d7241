// KEEL_MULTIVERSION: compile a hot loop twice, for x86-64 CPUs with AVX2,
// FMA and F16C (Intel Haswell, AMD Zen and later) and for the baseline,
// and pick the version at load time from the CPU keel runs on.
//
// Release builds target the baseline x86-64 ISA so that one binary runs on
// every machine; without this, the compiler could only vectorise with
// 4-wide SSE2. Only functions whose loops the compiler vectorises well get
// the attribute (matmul, dequantization, attention dots).
//
// Not under ThreadSanitizer: the version is picked by an ifunc resolver
// that runs while the program is relocated, before TSan's runtime is up,
// and TSan's instrumentation of it crashes there.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(KEEL_NO_MULTIVERSION) && \
    !defined(__SANITIZE_THREAD__)
#define KEEL_MULTIVERSION __attribute__((target_clones("arch=haswell", "default")))
#else
#define KEEL_MULTIVERSION
#endif
