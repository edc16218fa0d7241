// The blocks every decoder layer is built from. A family's layer (in
// arch/<family>.cpp) strings them together; the blocks themselves hold no
// family knowledge beyond what the weights carry (a null bias or norm is
// simply skipped).
//
// Activations for a batch of n tokens (float32, row-major):
//   x          [n, H]            the residual stream, updated in place
//   normed     [n, H]            normed input of the current sublayer
//   q          [n, heads*hd]     also reused for the attention output
//   k, v       [n, kv_heads*hd]
//   attn       [n, heads*hd]
//   sublayer   [n, H]            output of the current sublayer
//   gate, up   [n, F]
#pragma once

#include <span>

#include "backend/backend.h"
#include "model/config.h"
#include "model/weights.h"

namespace keel {

struct Activations {
  float* x = nullptr;
  float* normed = nullptr;
  float* q = nullptr;
  float* k = nullptr;
  float* v = nullptr;
  float* attn = nullptr;
  float* sublayer = nullptr;
  float* gate = nullptr;
  float* up = nullptr;
};

// Everything one layer of one forward call needs. `batch` is the step's
// ForwardBatch as the backend sees it (its arrays in device memory).
struct LayerContext {
  Backend& backend;
  const ModelConfig& config;
  const LayerWeights& weights;
  const RopeParams& rope;
  int32_t layer;
  int64_t n_tokens;
  const ForwardBatch& batch;
  KvStorage& kv;
  const Activations& act;
};

struct AttentionOptions {
  bool per_head_qk_norm = false;  // Qwen3: RMSNorm each q and k head before RoPE
};

// act.sublayer = Attention(RMSNorm(x; attn_norm)), storing this batch's
// K/V in the KV storage on the way.
void attention_sublayer(const LayerContext& c, const AttentionOptions& options);

// act.sublayer = down(silu(gate(h)) * up(h)), h = RMSNorm(x; ffn_norm).
void mlp_sublayer(const LayerContext& c);

// act.sublayer = RMSNorm(act.sublayer; weight): GLM-4-0414's sandwich norm.
void norm_sublayer_output(const LayerContext& c, const float* weight);

// x += act.sublayer.
void add_to_residual(const LayerContext& c);

}  // namespace keel
