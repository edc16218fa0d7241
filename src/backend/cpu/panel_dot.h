// The matmul's inner kernel: a panel of up to four decoded weight rows,
// each `cols` floats long, dotted with every token row of the batch.
//
//   y[t, r] += Σ_k rows[r][k] · x[t, k]     for r < n_rows, t < n_tokens
//
// The four rows stay in L1 while all token rows stream past them, so the
// cost of decoding the weight is paid once per batch, not once per token;
// the AVX2 version keeps 4 rows × 2 tokens = 8 accumulators in registers,
// so each weight vector loaded feeds two fused multiply-adds.
#pragma once

#include <cstdint>

namespace keel::cpu {

struct Panel {
  static constexpr int kMaxRows = 4;
  const float* rows[kMaxRows] = {};  // [n_rows][cols]; unused entries may repeat rows[0]
  int64_t n_rows = 0;
  int64_t cols = 0;
};

// x: [n_tokens, x_stride] (the panel's columns of each token row);
// y: [n_tokens, y_stride] (the panel's outputs of each token row).
// Picks the AVX2 kernel when the CPU has it.
void accumulate_panel(const Panel& panel, const float* x, int64_t x_stride, int64_t n_tokens, float* y,
                      int64_t y_stride);

// The two implementations, exposed so that tests can check each one.
void accumulate_panel_portable(const Panel& panel, const float* x, int64_t x_stride, int64_t n_tokens, float* y,
                               int64_t y_stride);
void accumulate_panel_avx2(const Panel& panel, const float* x, int64_t x_stride, int64_t n_tokens, float* y,
                           int64_t y_stride);

}  // namespace keel::cpu
