// The integer-dot matmul kernel: a panel of up to four stored weight rows
// of a block-quantized type (Q8_0, Q4_0, Q4_1, Q5_0, and the K-quants
// Q4_K, Q5_K, Q6_K in their 32-element sub-blocks), read as they are in
// the file, dotted with every int16-quantized token row of the batch
// (quantized_activations.h).
//
// Weight block b of row r is w = dw · (qw - offset) (+ mw for Q4_1, Q4_K
// and Q5_K, where dw and mw come from the super-block's 6-bit sub-block
// scale and minimum; Q6_K's two 16-element scales are folded into qw),
// the token's block is x ≈ dx · qx. Per block the 32 products qw·qx are summed
// in integers, exactly; only then does the block's scale enter, in float:
//
//   y[t, r] += Σ_b  dw·dx · Σ_k (qw - offset)[k] · qx[k]   (+ Σ_b mw · dx·Σ_k qx[k])
//
// Summation order, fixed so that every implementation gives the same bits:
// the integer products of block b are summed in eight lanes — lane j holds
// elements 2j, 2j+1, 16+2j, 17+2j, as two _mm256_madd_epi16 of the block's
// halves leave them; lane j's float accumulator takes fma(float(lane sum),
// dw·dx, acc) block after block; the eight accumulators are added pairwise
// ((0+4)+(2+6)) + ((1+5)+(3+7)); for Q4_1 the minimum terms are
// fma-accumulated apart and added last. The portable and the AVX2 kernels
// both follow it — a token's result is the same bits whether the kernel
// paired it with another token or not, and the same on a CPU without AVX2
// (tested).
//
// Exactness of the integer part: |qw| ≤ 128 and |qx| ≤ 32767, so a lane
// sum of four products is at most 4·128·32767 = 16,776,704 < 2^24: it
// fits int32 and converts to float without rounding. Q6_K's folded values
// reach ±4096: its lane sums (≤ 5.4·10^8) fit int32 but may round once
// when converted, the same way in every implementation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/cpu/quantized_activations.h"
#include "core/dtype.h"

namespace keel::cpu {

struct IntegerPanel {
  static constexpr int kMaxRows = 4;
  const std::byte* rows[kMaxRows] = {};  // each at the panel's first block; unused entries may repeat rows[0]
  int64_t n_rows = 0;
  int64_t blocks = 0;  // blocks of 32 columns in the panel
};

// x: [n_tokens, x_stride] blocks (each token row's blocks from the panel's
// first column); y: [n_tokens, y_stride] (the panel's outputs of each token
// row), added to.
using IntegerPanelKernel = void (*)(const IntegerPanel& panel, const ActivationBlock* x, int64_t x_stride, int64_t n_tokens,
                                    float* y, int64_t y_stride);

// The small-batch kernel: one weight row, the whole row, against each of
// `n_tokens` token rows, in panels of `panel_blocks` blocks; each panel's
// sum is added to y in turn, in the panel kernel's order, so every (row,
// token) gets exactly the bits the panel kernel gives it. What differs is
// the reading: one row end to end is one sequential stream, where a panel
// of four rows is four interleaved ones; decoding up to eight sequences
// from memory ran 5–75% faster this way (docs/performance.md).
// x: [n_tokens, x_stride] blocks from the row's first column; y: token t's
// output for this row at y[t * y_stride].
using IntegerRowKernel = void (*)(const std::byte* row, int64_t blocks, int64_t panel_blocks, const ActivationBlock* x,
                                  int64_t x_stride, int64_t n_tokens, float* y, int64_t y_stride);

// Whether `type` has an integer-dot kernel.
bool has_integer_kernel(DType type);

// The kernel for `type` (has_integer_kernel(type) must hold): the AVX2 one
// when the CPU has AVX2, else the portable one.
IntegerPanelKernel integer_panel_kernel(DType type);

// The two implementations, exposed so that tests can check one against the
// other. The AVX2 one is null where keel was built without x86 kernels;
// call it only when cpu_features().avx2 holds.
IntegerPanelKernel integer_panel_kernel_portable(DType type);
IntegerPanelKernel integer_panel_kernel_avx2(DType type);

// The same choice and the same two implementations for the one-token kernel.
IntegerRowKernel integer_row_kernel(DType type);
IntegerRowKernel integer_row_kernel_portable(DType type);
IntegerRowKernel integer_row_kernel_avx2(DType type);

}  // namespace keel::cpu
