// GLM-4-0414 (Glm4ForCausalLM, GGUF `glm4`).
//
// GLM's layer (q/k/v biases, partial interleaved RoPE, fused gate_up) with
// "sandwich" norms: each sublayer's OUTPUT is RMS-normed before it joins
// the residual stream.
//   h   = x + RMSNorm(Attn(RMSNorm(x; input_layernorm)); post_self_attn_layernorm)
//   out = h + RMSNorm(MLP(RMSNorm(h; post_attention_layernorm)); post_mlp_layernorm)
#include "model/arch/decoder_layers.h"
#include "model/layers.h"

namespace keel {

void glm4_decoder_layer(const LayerContext& c) {
  attention_sublayer(c, {});
  norm_sublayer_output(c, c.weights.post_attn_norm);
  add_to_residual(c);
  mlp_sublayer(c);
  norm_sublayer_output(c, c.weights.post_ffn_norm);
  add_to_residual(c);
}

}  // namespace keel
