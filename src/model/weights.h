// Weights: every tensor the forward pass reads, found by name in a GGUF
// file or a safetensors checkpoint and checked against the config.
//
// Matrices stay where the file put them (views into the mapping, in their
// stored dtype). Small vectors (norm weights, biases, rope divisors) are
// decoded to float32 once at load because every op wants them that way.
// A fused tensor (GLM attn_qkv, gate_up) is exposed as views of its row
// ranges, so the forward never knows whether the file fused it.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/backend.h"
#include "core/result.h"
#include "core/tensor.h"
#include "model/config.h"

namespace keel {

struct LayerWeights {
  const float* attn_norm = nullptr;  // [H]
  TensorView q;                      // [heads * hd, H]
  TensorView k;                      // [kv_heads * hd, H]
  TensorView v;                      // [kv_heads * hd, H]
  const float* q_bias = nullptr;     // [heads * hd] or null
  const float* k_bias = nullptr;     // [kv_heads * hd] or null
  const float* v_bias = nullptr;     // [kv_heads * hd] or null
  const float* q_norm = nullptr;     // [hd], Qwen3
  const float* k_norm = nullptr;     // [hd], Qwen3
  TensorView o;                      // [H, heads * hd]
  const float* o_bias = nullptr;     // [H] or null
  const float* post_attn_norm = nullptr;  // [H], GLM-4-0414 (norm of the attention output)
  const float* ffn_norm = nullptr;   // [H]
  TensorView gate;                   // [F, H]
  TensorView up;                     // [F, H]
  TensorView down;                   // [H, F]
  const float* gate_bias = nullptr;  // [F] or null
  const float* up_bias = nullptr;    // [F] or null
  const float* down_bias = nullptr;  // [H] or null
  const float* post_ffn_norm = nullptr;  // [H], GLM-4-0414 (norm of the MLP output)
};

// Looks a tensor up by name in the open file; null when absent.
using TensorLookup = std::function<const TensorView*(std::string_view name)>;

class Weights {
 public:
  static Result<Weights> load(const TensorLookup& lookup, const ModelConfig& config);

  // Points every tensor and vector the forward reads at its copy on
  // `backend`'s device, made once (CPU backends keep the file's mapping:
  // nothing moves). rope_divisors stay on the host: they are read only to
  // build the inverse frequencies. Call once.
  Status make_resident(Backend& backend);

  TensorView token_embedding;          // [vocab, H]
  TensorView output;                   // [vocab, H]; the embedding when tied
  const float* output_norm = nullptr;  // [H]
  std::span<const float> rope_divisors;  // [rotary_dims / 2] from GGUF rope_freqs, or empty
  std::vector<LayerWeights> layers;

  // Every tensor read, once each (a fused tensor counts once).
  const std::vector<std::pair<std::string, TensorView>>& tensors() const { return tensors_; }
  int64_t parameter_count() const;
  // "f32 1.2M params in 12 tensors, q8_0 ..." for `keel inspect`.
  std::string describe_dtypes() const;

 private:
  friend class WeightsLoader;
  std::vector<std::vector<float>> decoded_vectors_;  // owns what the float pointers above point at
  std::vector<std::pair<std::string, TensorView>> tensors_;
};

}  // namespace keel
