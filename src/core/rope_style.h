// Which element pairs of a head rotary embedding rotates together. A fact of
// the model's weights (how its Q/K rows are ordered), read by the config
// and applied by every backend's rope op.
#pragma once

#include <cstdint>

namespace keel {

enum class RopeStyle : uint8_t {
  kNeox,         // (i, i + d_rot/2): HF Llama/Qwen "rotate_half", ggml NEOX
  kInterleaved,  // (2j, 2j + 1): GPT-J / GLM, ggml mode 0 ("normal")
};

}  // namespace keel
