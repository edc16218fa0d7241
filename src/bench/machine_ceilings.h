// The machine's ceilings, measured in this process on all threads of the
// pool the kernels use: what a bandwidth-bound kernel can read, and what an
// arithmetic-bound one can compute. Each is measured once and cached.
#pragma once

namespace keel::bench {

// Bytes per second read by summing a 1 GiB buffer (far beyond the caches).
double measured_read_bandwidth();

// Float32 FLOP/s of independent multiply-adds the compiler can vectorise:
// the rate a well-blocked matmul approaches.
double measured_fma_rate();

// int16 operations per second (a multiply-add counts two) of the AVX2
// integer-dot step madd + add on independent accumulators: the rate the
// integer-dot matmul kernels approach when arithmetic binds. 0 on a CPU
// without AVX2.
double measured_int16_dot_rate();

}  // namespace keel::bench
