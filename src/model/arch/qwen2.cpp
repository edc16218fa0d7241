// Qwen2 / Qwen2.5 (Qwen2ForCausalLM, GGUF `qwen2`).
//
// Llama's layer with biases on q, k and v (always; there is no config key)
// and none on o_proj or the MLP. NeoX (rotate-half) RoPE in both formats:
// Qwen GGUFs are not Q/K-permuted.
#include "model/arch/decoder_layers.h"
#include "model/layers.h"

namespace keel {

void qwen2_decoder_layer(const LayerContext& c) {
  attention_sublayer(c, {});  // q/k/v biases come with the weights
  add_to_residual(c);
  mlp_sublayer(c);
  add_to_residual(c);
}

}  // namespace keel
