// Qwen3 dense (Qwen3ForCausalLM, GGUF `qwen3`).
//
// Llama's layer plus a per-head RMSNorm of q and k (weights [hd]) applied
// after the projections and BEFORE RoPE. head_dim is explicit and may
// differ from hidden / heads, so q_proj is [heads*hd, H] and o_proj
// [H, heads*hd]. Biases only with attention_bias (false in released models).
#include "model/arch/decoder_layers.h"
#include "model/layers.h"

namespace keel {

void qwen3_decoder_layer(const LayerContext& c) {
  attention_sublayer(c, {.per_head_qk_norm = true});
  add_to_residual(c);
  mlp_sublayer(c);
  add_to_residual(c);
}

}  // namespace keel
