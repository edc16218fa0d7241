// Tensor names of each role in each file format.
//
// Hugging Face checkpoints use the llama-style names of transformers
// (model.layers.N.self_attn.q_proj.weight, ...); GGUF uses llama.cpp's
// (blk.N.attn_q.weight, ...). Both describe the same [out, in] matrices.
// Beware GLM-4-0414's collision: GGUF `post_attention_norm` is the norm on
// the attention OUTPUT (HF post_self_attn_layernorm), while HF
// `post_attention_layernorm` is the pre-MLP norm (GGUF ffn_norm).
#pragma once

#include <string>

#include "model/config.h"

namespace keel {

enum class GlobalTensor : uint8_t { kTokenEmbedding, kOutputNorm, kOutput, kRopeFrequencies };

enum class LayerTensor : uint8_t {
  kAttnNorm, kQ, kK, kV, kQkv, kQBias, kKBias, kVBias, kQkvBias, kO, kOBias, kQNorm, kKNorm,
  kPostAttnNorm, kFfnNorm, kGate, kUp, kGateUp, kDown, kGateBias, kUpBias, kDownBias, kPostFfnNorm,
};

// The name, or "" when the format has no such tensor.
std::string tensor_name(SourceFormat format, GlobalTensor role);
std::string tensor_name(SourceFormat format, int64_t layer, LayerTensor role);

}  // namespace keel
