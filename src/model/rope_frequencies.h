// The per-pair rotation speeds of RoPE for one model:
//   inv_frequency[j] = theta^(-2j / rotary_dims),  j < rotary_dims / 2,
// then adjusted by the model's scaling: "linear" divides every frequency by
// the factor; "llama3" divides low frequencies by the factor, keeps high
// ones, and blends in between (HF _compute_llama3_parameters); a GGUF
// rope_freqs tensor gives the llama3 divisors precomputed per pair.
#pragma once

#include <span>
#include <vector>

#include "model/config.h"

namespace keel {

std::vector<float> rope_inverse_frequencies(const ModelConfig& config, std::span<const float> gguf_divisors);

}  // namespace keel
