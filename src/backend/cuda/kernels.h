// The CUDA backend's kernels, as host functions that queue them on a
// stream. Every pointer is device memory. Shapes follow backend.h: rows of
// float32 activations, row-major; weights in their stored dtype, `row_bytes`
// apart. Launch failures are left for the caller's cudaGetLastError.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "backend/row_argmax.h"
#include "core/dtype.h"
#include "core/rope_style.h"

namespace keel::cuda {

// Weight matrices are read in chunks of this many consecutive elements of a
// row: one block of Q8_0/Q4_0/Q4_1/Q5_0, one sub-block of a K-quant, or 32
// elements of a float type.
constexpr int kChunk = 32;

// Batches of up to this many token rows take the weight-streaming matvec;
// larger ones dequantize a panel of rows and multiply with cuBLAS.
constexpr int kMatvecMaxTokens = 8;

// y[t, o] = Σ_i x[t, i] · w[o, i] (+ bias[o]) for t < n_tokens <= kMatvecMaxTokens.
// x: [n_tokens, in]; w: [out, in] in `type`; y: [n_tokens, out].
void matvec(DType type, const float* x, int n_tokens, int64_t in, const void* w, int64_t row_bytes, int64_t out,
            const float* bias, float* y, cudaStream_t stream);

// The same product for f16 / bf16 weights whose rows and x are 16-byte
// aligned, read straight into registers (matvec_16bit.cu). Returns false,
// launching nothing, where it does not apply; matvec() tries it first.
bool matvec_16bit(DType type, const float* x, int n_tokens, int64_t in, const void* w, int64_t row_bytes,
                  int64_t out, const float* bias, float* y, cudaStream_t stream);

// ---- the fast path's integer-dot matvec (matvec_int.cu) ----
//
// A matmul input quantized to int16 in blocks of kQuantBlock columns, as
// the CPU's fast path does (quantize_activations.cu):
//   x[t, k] ≈ scales[t, k / 32] · values[t, k],  sums[t, b] = Σ values of block b.
// values: [n_tokens, in]; scales, sums: [n_tokens, in / 32]. Device memory.
constexpr int kQuantBlock = 32;
constexpr int kQuantMax = 32767;
struct QuantizedInput {
  int16_t* values;
  float* scales;
  int32_t* sums;
};

// Quantizes x: [n_tokens, in] (in a multiple of kQuantBlock) into out.
void quantize_activations(const float* x, int64_t n_tokens, int64_t in, QuantizedInput out, cudaStream_t stream);

// True for the weight types matvec_int takes: every block-quantized type.
bool has_integer_dot(DType type);

// y[t, o] = Σ_i x[t, i] · w[o, i] (+ bias[o]) for t < n_tokens <= kMatvecMaxTokens,
// with x given quantized; integer dot products per 32-column block (dp2a),
// the block scales applied in float.
void matvec_int(DType type, const QuantizedInput& x, int n_tokens, int64_t in, const void* w, int64_t row_bytes,
                int64_t out, const float* bias, float* y, cudaStream_t stream);

// The same product for Q8_0 weights, read straight into registers from
// the split layout (split_row_layout.h; matvec_q8_0.cu). matvec_int() hands
// Q8_0 to it.
void matvec_int_q8_0(const QuantizedInput& x, int n_tokens, int64_t in, const void* w, int64_t row_bytes,
                     int64_t out, const float* bias, float* y, cudaStream_t stream);

// The same product for Q6_K weights, read straight into registers from
// the split layout (split_row_layout.h; matvec_q6_k.cu). matvec_int()
// hands Q6_K to it.
void matvec_int_q6_k(const QuantizedInput& x, int n_tokens, int64_t in, const void* w, int64_t row_bytes,
                     int64_t out, const float* bias, float* y, cudaStream_t stream);

// panel[r, :] = rows first_row .. first_row + n_rows - 1 of w as float32.
// panel: [n_rows, in].
void dequantize_rows(DType type, const void* w, int64_t row_bytes, int64_t in, int64_t first_row, int64_t n_rows,
                     float* panel, cudaStream_t stream);

// A float32 array as two bf16 arrays (their 16 bits): hi = bf16(v) and
// lo = bf16(v - hi), rounded to nearest even, so v ≈ hi + lo to about
// 2^-17 of |v| (dequantize.cu says why the fast GEMM takes both).
struct SplitBf16 {
  uint16_t* hi;
  uint16_t* lo;
};

// The same panel split into hi and lo bf16 panels: the fast path's
// tensor-core GEMM operands.
void dequantize_rows_split(DType type, const void* w, int64_t row_bytes, int64_t in, int64_t first_row,
                           int64_t n_rows, SplitBf16 panel, cudaStream_t stream);

// x[0, n) split into out.hi and out.lo.
void split_bf16(const float* x, int64_t n, SplitBf16 out, cudaStream_t stream);

// The fast GEMM on block-quantized weights multiplies f16 operands with
// float32 sums: the weight panel decoded to f16 (dequantize_rows_f16) and
// the input rounded to f16 under one power-of-two scale that keeps it
// finite (to_half_scaled, half_input.cu). Device memory, three words.
struct HalfInputScale {
  unsigned int largest_bits;  // max |x| as float bits (scratch)
  float alpha;                // 1 / scale: the GEMM's alpha
  float zero;                 // 0: the GEMM's beta (cuBLAS reads both from the device)
};

// out[i] = f16(x[i] · scale) for i < n, and scale->alpha = 1 / scale.
void to_half_scaled(const float* x, int64_t n, uint16_t* out, HalfInputScale* scale, cudaStream_t stream);

// A panel of weight rows decoded to f16 (the values' bits): panel: [n_rows, in].
void dequantize_rows_f16(DType type, const void* w, int64_t row_bytes, int64_t in, int64_t first_row,
                         int64_t n_rows, uint16_t* panel, cudaStream_t stream);

// Batches of up to this many token rows multiply both halves of their
// split input in one GEMM ([x_hi; x_lo], 2 * n_tokens columns), so that the
// weight, which bounds a GEMM this narrow, is read once instead of twice.
constexpr int kStackedMaxTokens = 128;

// From this many token rows on, bf16 weights too take the f16 GEMM, on a
// panel converted to f16 (exact for every bf16 value in f16's normal range;
// smaller ones lose bits below 2^-24 in absolute terms, larger than 65504
// do not occur in a weight). Converting the panels costs what the split's
// second GEMM costs at about 2,048 rows (8B bf16 on an H100: pp1024 14,450
// t/s converted against 17,754 split, pp2048 17,394 against 17,431, pp4096
// 18,778 against 16,464), so only longer batches take it.
constexpr int kBf16HalfGemmMinTokens = 4096;

// y[t, j] = stacked[j + t * rows] + stacked[j + (n_tokens + t) * rows]:
// the two halves of a stacked GEMM's column-major [rows, 2 * n_tokens]
// result summed into y (row-major, ld_y floats a row).
void sum_stacked_halves(const float* stacked, int64_t n_tokens, int64_t rows, float* y, int64_t ld_y,
                        cudaStream_t stream);

// y[t, o] += bias[o]; y: [n_tokens, out].
void add_bias(float* y, const float* bias, int64_t n_tokens, int64_t out, cudaStream_t stream);

// out[t, :] = row tokens[t] of table ([vocab, dim] in `type`) as float32.
void embed(DType type, const void* table, int64_t row_bytes, int64_t dim, const int32_t* tokens, int64_t n_tokens,
           float* out, cudaStream_t stream);

// y[r, :] = weight * x[r, :] / sqrt(mean(x[r, :]^2) + eps); y may equal x.
void rms_norm(const float* x, int64_t rows, int64_t dim, const float* weight, float eps, float* y,
              cudaStream_t stream);

// Rotates in place the first rotary_dims of every head of x: [n_tokens, n_heads * head_dim].
void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* positions, RopeStyle style,
          int64_t rotary_dims, const float* inv_frequency, cudaStream_t stream);

// Row t of keys / values ([n_tokens, row_elems]) goes to KV slot
// slot_mapping[t] of the layer's storage (`kv_keys` / `kv_values`:
// [slots, row_elems] in kv_type: f32, f16 or bf16).
void kv_store(const float* keys, const float* values, int64_t n_tokens, int64_t row_elems,
              const int32_t* slot_mapping, DType kv_type, void* kv_keys, void* kv_values, cudaStream_t stream);

// The step's attention geometry, as the batch and KV storage give it.
struct AttentionLaunch {
  const float* q;             // [n_tokens, query_heads * head_dim]
  float* out;                 // same shape
  const int32_t* positions;   // [n_tokens]
  const int32_t* query_start; // [n_seqs + 1]
  const int32_t* block_tables;  // [n_seqs, max_blocks_per_seq]
  int32_t n_tokens, n_seqs, max_blocks_per_seq;
  int32_t query_heads, kv_heads, head_dim;
  int32_t block_size;
  DType kv_type;
  const void* keys;    // this layer's [slots, kv_heads, head_dim]
  const void* values;
};

// Largest head_dim the attention kernel takes.
constexpr int kMaxHeadDim = 256;

// Causal attention of each row over its sequence's positions 0..positions[row].
void attention(const AttentionLaunch& launch, cudaStream_t stream);

// The same attention on the tensor cores (flash_attention.cu): Q and the
// softmax weights rounded to the KV cache's 16-bit type, float32 sums; the
// query heads that share a KV head read each K/V tile once. Returns false,
// launching nothing, where it does not apply: KV not f16/bf16, head_dim
// not 16, 32, 64 or 128, more than 64 query heads to a KV head, a GPU older than
// sm_80, or pointers not 16-byte aligned.
bool flash_attention(const AttentionLaunch& launch, cudaStream_t stream);

// gate[i] = silu(gate[i]) * up[i].
void swiglu(float* gate, const float* up, int64_t n, cudaStream_t stream);
// dst[i] += src[i].
void add(float* dst, const float* src, int64_t n, cudaStream_t stream);
// dst[i, :] = src[rows[i], :], rows of `width` floats.
void gather_rows(const float* src, int64_t width, const int32_t* rows, int64_t n_rows, float* dst,
                 cudaStream_t stream);

// out[r] = the first index of the largest value of row r of logits
// [rows, vocab], the same among the ids not `excluded`, and whether the row
// is all finite.
void argmax_rows(const float* logits, int64_t rows, int64_t vocab, const ExcludedIds& excluded, RowArgmax* out,
                 cudaStream_t stream);

}  // namespace keel::cuda
