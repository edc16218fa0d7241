#include "backend/cpu/panel_dot.h"

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/dot.h"
#include "backend/cpu/multiversion.h"
#include "core/check.h"

#if KEEL_X86_KERNELS
#include <immintrin.h>
#endif

namespace keel::cpu {

void accumulate_panel(const Panel& panel, const float* x, int64_t x_stride, int64_t n_tokens, float* y,
                      int64_t y_stride) {
  if (cpu_features().avx2) {
    accumulate_panel_avx2(panel, x, x_stride, n_tokens, y, y_stride);
  } else {
    accumulate_panel_portable(panel, x, x_stride, n_tokens, y, y_stride);
  }
}

void accumulate_row_segments(const Panel& segments, const float* x, float* y) {
  if (cpu_features().avx2) {
    accumulate_row_segments_avx2(segments, x, y);
  } else {
    accumulate_row_segments_portable(segments, x, y);
  }
}

KEEL_MULTIVERSION void accumulate_row_segments_portable(const Panel& segments, const float* x, float* y) {
  for (int64_t i = 0; i < segments.n_rows; ++i) *y += dot(segments.rows[i], x + i * segments.cols, segments.cols);
}

KEEL_MULTIVERSION void accumulate_panel_portable(const Panel& panel, const float* x, int64_t x_stride,
                                                 int64_t n_tokens, float* y, int64_t y_stride) {
  for (int64_t t = 0; t < n_tokens; ++t)
    for (int64_t r = 0; r < panel.n_rows; ++r) y[t * y_stride + r] += dot(panel.rows[r], x + t * x_stride, panel.cols);
}

#if KEEL_X86_KERNELS

namespace {

KEEL_TARGET_AVX2 inline float horizontal_sum(__m256 v) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

// Four rows against two token rows: y0[r] += rows[r]·x0, y1[r] += rows[r]·x1.
KEEL_TARGET_AVX2 void four_rows_two_tokens(const Panel& p, const float* x0, const float* x1, float* y0, float* y1) {
  const float* w0 = p.rows[0];
  const float* w1 = p.rows[1];
  const float* w2 = p.rows[2];
  const float* w3 = p.rows[3];
  __m256 a00 = _mm256_setzero_ps(), a01 = _mm256_setzero_ps(), a10 = _mm256_setzero_ps(), a11 = _mm256_setzero_ps();
  __m256 a20 = _mm256_setzero_ps(), a21 = _mm256_setzero_ps(), a30 = _mm256_setzero_ps(), a31 = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= p.cols; k += 8) {
    const __m256 v0 = _mm256_loadu_ps(x0 + k);
    const __m256 v1 = _mm256_loadu_ps(x1 + k);
    __m256 w = _mm256_loadu_ps(w0 + k);
    a00 = _mm256_fmadd_ps(w, v0, a00);
    a01 = _mm256_fmadd_ps(w, v1, a01);
    w = _mm256_loadu_ps(w1 + k);
    a10 = _mm256_fmadd_ps(w, v0, a10);
    a11 = _mm256_fmadd_ps(w, v1, a11);
    w = _mm256_loadu_ps(w2 + k);
    a20 = _mm256_fmadd_ps(w, v0, a20);
    a21 = _mm256_fmadd_ps(w, v1, a21);
    w = _mm256_loadu_ps(w3 + k);
    a30 = _mm256_fmadd_ps(w, v0, a30);
    a31 = _mm256_fmadd_ps(w, v1, a31);
  }
  float s0[4] = {horizontal_sum(a00), horizontal_sum(a10), horizontal_sum(a20), horizontal_sum(a30)};
  float s1[4] = {horizontal_sum(a01), horizontal_sum(a11), horizontal_sum(a21), horizontal_sum(a31)};
  for (; k < p.cols; ++k) {  // columns past the last full vector (float types only)
    const float* w[4] = {w0, w1, w2, w3};
    for (int r = 0; r < 4; ++r) {
      s0[r] += w[r][k] * x0[k];
      s1[r] += w[r][k] * x1[k];
    }
  }
  for (int64_t r = 0; r < p.n_rows; ++r) {
    y0[r] += s0[r];
    y1[r] += s1[r];
  }
}

// Four rows against one token row, summing in exactly the order of
// four_rows_two_tokens (one 8-lane accumulator per row, the same
// horizontal sum, the same tail), so that a token's result does not depend
// on whether the batch paired it with another: batching changes nothing.
KEEL_TARGET_AVX2 void four_rows_one_token(const Panel& p, const float* x0, float* y0) {
  const float* w[4] = {p.rows[0], p.rows[1], p.rows[2], p.rows[3]};
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= p.cols; k += 8) {
    const __m256 v = _mm256_loadu_ps(x0 + k);
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w[0] + k), v, a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w[1] + k), v, a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w[2] + k), v, a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w[3] + k), v, a3);
  }
  float s[4] = {horizontal_sum(a0), horizontal_sum(a1), horizontal_sum(a2), horizontal_sum(a3)};
  for (; k < p.cols; ++k)
    for (int r = 0; r < 4; ++r) s[r] += w[r][k] * x0[k];
  for (int64_t r = 0; r < p.n_rows; ++r) y0[r] += s[r];
}

// Where four_segments_one_token reads a row's weights from: floats (a
// decoded or float32 row), or f16 / bf16 as stored, converted in registers
// (exactly, so to the same floats the row decoders write).
struct FloatRows {
  const float* rows[4];
  KEEL_TARGET_AVX2 __m256 eight(int i, int64_t k) const { return _mm256_loadu_ps(rows[i] + k); }
  float one(int i, int64_t k) const { return rows[i][k]; }
};

// (No one-element read: a 16-bit segment is whole vectors, so the tail
// below, whose rounding the compiler may contract differently from one
// function to the next, never runs on it.)
template <bool kBf16>
struct SixteenBitRows {
  const std::byte* rows[4];
  KEEL_TARGET_AVX2 __m256 eight(int i, int64_t k) const {
    const __m128i bits = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[i] + 2 * k));
    if constexpr (kBf16) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bits), 16));
    return _mm256_cvtph_ps(bits);
  }
};

// Up to four segments of one row against their slices of one token row,
// each summed as four_rows_one_token sums a row (one 8-lane accumulator,
// the same horizontal sum, the same tail); spare segments repeat segment 0
// and are not added. w: the four segments' rows (spares already repeat
// segment 0).
template <class Rows>
KEEL_TARGET_AVX2 void four_segments_one_token(const Rows& w, int64_t n_segments, int64_t cols, const float* x,
                                              float* y) {
  const float* v[4];
  for (int i = 0; i < 4; ++i) v[i] = x + (i < n_segments ? i : 0) * cols;
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= cols; k += 8) {
    a0 = _mm256_fmadd_ps(w.eight(0, k), _mm256_loadu_ps(v[0] + k), a0);
    a1 = _mm256_fmadd_ps(w.eight(1, k), _mm256_loadu_ps(v[1] + k), a1);
    a2 = _mm256_fmadd_ps(w.eight(2, k), _mm256_loadu_ps(v[2] + k), a2);
    a3 = _mm256_fmadd_ps(w.eight(3, k), _mm256_loadu_ps(v[3] + k), a3);
  }
  float s[4] = {horizontal_sum(a0), horizontal_sum(a1), horizontal_sum(a2), horizontal_sum(a3)};
  if constexpr (requires { w.one(0, 0); }) {
    for (; k < cols; ++k)
      for (int i = 0; i < 4; ++i) s[i] += w.one(i, k) * v[i][k];
  }
  for (int64_t i = 0; i < n_segments; ++i) *y += s[i];
}

}  // namespace

void accumulate_panel_avx2(const Panel& panel, const float* x, int64_t x_stride, int64_t n_tokens, float* y,
                           int64_t y_stride) {
  Panel full = panel;  // the kernels always read four rows; spare ones repeat row 0
  for (int64_t r = panel.n_rows; r < Panel::kMaxRows; ++r) full.rows[r] = panel.rows[0];
  int64_t t = 0;
  for (; t + 2 <= n_tokens; t += 2)
    four_rows_two_tokens(full, x + t * x_stride, x + (t + 1) * x_stride, y + t * y_stride, y + (t + 1) * y_stride);
  if (t < n_tokens) four_rows_one_token(full, x + t * x_stride, y + t * y_stride);
}

void accumulate_row_segments_avx2(const Panel& segments, const float* x, float* y) {
  FloatRows rows;
  for (int i = 0; i < 4; ++i) rows.rows[i] = segments.rows[i < segments.n_rows ? i : 0];
  four_segments_one_token(rows, segments.n_rows, segments.cols, x, y);
}

bool can_read_16bit_row_segments_in_registers() { return cpu_features().avx2; }

void accumulate_16bit_row_segments_avx2(const StoredSegments& segments, const float* x, float* y) {
  KEEL_CHECK(segments.cols % 8 == 0, "16-bit row segments must be whole vectors of 8");
  auto run = [&](auto rows) {
    for (int i = 0; i < 4; ++i) rows.rows[i] = segments.rows[i < segments.n_rows ? i : 0];
    four_segments_one_token(rows, segments.n_rows, segments.cols, x, y);
  };
  if (segments.bf16) {
    run(SixteenBitRows<true>{});
  } else {
    run(SixteenBitRows<false>{});
  }
}

#else

void accumulate_row_segments_avx2(const Panel& segments, const float* x, float* y) {
  accumulate_row_segments_portable(segments, x, y);
}

bool can_read_16bit_row_segments_in_registers() { return false; }

void accumulate_16bit_row_segments_avx2(const StoredSegments&, const float*, float*) {
  KEEL_CHECK(false, "accumulate_16bit_row_segments_avx2 needs keel's x86 kernels");
}

void accumulate_panel_avx2(const Panel& panel, const float* x, int64_t x_stride, int64_t n_tokens, float* y,
                           int64_t y_stride) {
  accumulate_panel_portable(panel, x, x_stride, n_tokens, y, y_stride);
}

#endif

}  // namespace keel::cpu
