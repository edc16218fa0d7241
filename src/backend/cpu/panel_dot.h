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

#include <cstddef>
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

// The one-token read of a weight row: segments.rows[i] are consecutive
// panels of one row, each segments.cols long, and segment i's input is
// x + i·cols; y[0] += each segment's dot product, in turn, each summed as
// the panel kernels sum a row's panel — the same bits as four rows at a
// time. Up to four segments run side by side: one panel alone would be one
// chain of dependent fused multiply-adds, four are four chains, as four
// rows are.
void accumulate_row_segments(const Panel& segments, const float* x, float* y);
void accumulate_row_segments_portable(const Panel& segments, const float* x, float* y);
void accumulate_row_segments_avx2(const Panel& segments, const float* x, float* y);

// The same one-token read for a row of f16 or bf16 weights as stored, each
// vector converted to float32 in registers instead of decoded into a
// buffer first: the same floats (both conversions are exact) in the same
// order, so the same bits as decoding the segments and calling
// accumulate_row_segments_avx2 — without writing and re-reading every
// weight as float32. AVX2 (with F16C) only: call it only where
// can_read_16bit_row_segments_in_registers().
struct StoredSegments {
  const std::byte* rows[Panel::kMaxRows] = {};  // consecutive stored segments of one row, `cols` values each
  int64_t n_rows = 0;
  int64_t cols = 0;  // a multiple of 8 (CHECKed): whole vectors
  bool bf16 = false;  // else f16
};
void accumulate_16bit_row_segments_avx2(const StoredSegments& segments, const float* x, float* y);
bool can_read_16bit_row_segments_in_registers();  // keel built with its x86 kernels, on a CPU with AVX2

}  // namespace keel::cpu
