// Backend: the operations a transformer forward pass is written against.
//
// Every activation is float32 and row-major: "[n, d]" means n rows of d
// contiguous floats. Buffers live in the backend's memory (host memory for
// the CPU backend, device memory for a GPU backend) and are owned by the
// caller. Weights are TensorViews in their stored dtype; a backend reads
// them as they are and never keeps a float32 copy of a whole matrix.
//
// Ops do not allocate: a backend sizes its scratch once, at creation, for
// the largest matrix row it will see (BackendLimits).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "backend/kv_cache.h"
#include "core/tensor.h"

namespace keel {

// Which element pairs of a head rotary embedding rotates together.
enum class RopeStyle : uint8_t {
  kNeox,         // (i, i + d_rot/2): HF Llama/Qwen "rotate_half", ggml NEOX
  kInterleaved,  // (2j, 2j + 1): GPT-J / GLM, ggml mode 0 ("normal")
};

// Rotary embedding of one model: style, how many leading dims of each head
// rotate (the rest pass through) and the angle per position of each pair.
struct RopeParams {
  RopeStyle style = RopeStyle::kNeox;
  int64_t rotary_dims = 0;               // even, <= head_dim
  std::span<const float> inv_frequency;  // [rotary_dims / 2]; pair j turns by position * inv_frequency[j]
};

// The head layout shared by attention and rope.
struct AttentionShape {
  int64_t query_heads = 0;
  int64_t kv_heads = 0;   // query head h reads kv head h / (query_heads / kv_heads)
  int64_t head_dim = 0;
};

// The per-token bookkeeping attention needs from a batch. Token t of the
// batch is at `positions[t]` of sequence `sequence_slot[t]`.
struct TokenPlacement {
  std::span<const int32_t> positions;
  std::span<const int32_t> sequence_slot;
};

// Sizes a backend reserves its scratch for.
struct BackendLimits {
  int64_t max_row_elems = 0;  // largest `in` of any matmul weight or embedding row
};

class Backend {
 public:
  virtual ~Backend() = default;

  // y[t, o] = sum_i x[t, i] * w[o, i] (+ bias[o]).
  // x: [n_tokens, in]; w: [out, in] of any DType; bias: [out] or null;
  // y: [n_tokens, out], must not alias x.
  virtual void matmul(const float* x, int64_t n_tokens, const TensorView& w, const float* bias,
                      float* y) = 0;

  // out[t, :] = row tokens[t] of `table` ([vocab, dim], any DType) as float32.
  // Token ids must be valid rows (the caller checks them).
  virtual void embed(const TensorView& table, std::span<const int32_t> tokens, float* out) = 0;

  // RMSNorm of each of `rows` rows of `dim` floats:
  // y = weight * x / sqrt(mean(x^2) + eps). Per-head norms (Qwen3 q/k)
  // pass rows = tokens * heads and dim = head_dim. y may equal x.
  virtual void rms_norm(const float* x, int64_t rows, int64_t dim, const float* weight, float eps,
                        float* y) = 0;

  // Rotates, in place, every head of x: [n_tokens, n_heads * head_dim];
  // token t uses positions[t].
  virtual void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim,
                    std::span<const int32_t> positions, const RopeParams& params) = 0;

  // Stores keys/values [n_tokens, kv_heads * head_dim] of the batch in
  // `cache` at each token's (slot, position) of `layer`.
  virtual void kv_store(const float* keys, const float* values, const TokenPlacement& placement,
                        int32_t layer, KvCache& cache) = 0;

  // Causal attention of each query token over positions 0..positions[t] of
  // its sequence as stored in `cache` (the batch's own K/V must already be
  // stored). Scale 1/sqrt(head_dim), float32 softmax.
  // q: [n_tokens, query_heads * head_dim]; out: same shape.
  virtual void attention(const float* q, const TokenPlacement& placement, const AttentionShape& shape,
                         int32_t layer, const KvCache& cache, float* out) = 0;

  // gate[i] = silu(gate[i]) * up[i] for i < n  (silu(z) = z / (1 + e^-z)).
  virtual void swiglu(float* gate, const float* up, int64_t n) = 0;

  // dst[i] += src[i] for i < n.
  virtual void add(float* dst, const float* src, int64_t n) = 0;
};

// The reference float32 CPU backend.
std::unique_ptr<Backend> make_cpu_backend(const BackendLimits& limits);

}  // namespace keel
