// Llama 2 / 3 / 3.x (LlamaForCausalLM, GGUF `llama`).
//
// The plain pre-norm decoder every other family here starts from:
//   h   = x + Attn(RMSNorm(x))
//   out = h + SwiGLU(RMSNorm(h))
// Biases appear only with attention_bias / mlp_bias. RoPE is rotate-half
// for safetensors and interleaved for GGUF, whose converter permuted the
// Q/K rows to match (see the registry). llama3 frequency scaling comes from
// config.json or the GGUF rope_freqs tensor (rope_frequencies.cpp).
#include "model/arch/decoder_layers.h"
#include "model/layers.h"

namespace keel {

void llama_decoder_layer(const LayerContext& c) {
  attention_sublayer(c, {});
  add_to_residual(c);
  mlp_sublayer(c);
  add_to_residual(c);
}

}  // namespace keel
