// GLM-4-9B-chat (GlmForCausalLM, GGUF `chatglm`).
//
// The pre-norm decoder with q/k/v biases, interleaved (GPT-J) RoPE on only
// the first hd/2 dims of each head, and a fused gate_up projection whose
// first F rows are the gate. The fusions (GGUF attn_qkv, ffn_up [2F, H])
// are resolved into row views by Weights, so the layer reads like Llama's.
#include "model/arch/decoder_layers.h"
#include "model/layers.h"

namespace keel {

void glm_decoder_layer(const LayerContext& c) {
  attention_sublayer(c, {});
  add_to_residual(c);
  mlp_sublayer(c);
  add_to_residual(c);
}

}  // namespace keel
