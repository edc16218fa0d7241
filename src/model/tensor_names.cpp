#include "model/tensor_names.h"

namespace keel {
namespace {

struct NamePair {
  const char* hf;    // after "model.layers.N." (layers) or complete (globals)
  const char* gguf;  // after "blk.N." (layers) or complete (globals)
};

// Indexed by GlobalTensor.
constexpr NamePair kGlobalNames[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
    {"", "rope_freqs.weight"},  // llama3 scaling divisors; HF computes them from config.json
};

// Indexed by LayerTensor.
constexpr NamePair kLayerNames[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.qkv_proj.weight", "attn_qkv.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.qkv_proj.bias", "attn_qkv.bias"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.o_proj.bias", "attn_output.bias"},
    {"self_attn.q_norm.weight", "attn_q_norm.weight"},
    {"self_attn.k_norm.weight", "attn_k_norm.weight"},
    {"post_self_attn_layernorm.weight", "post_attention_norm.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.gate_up_proj.weight", "ffn_up.weight"},  // GGUF keeps the fused [2F, H] matrix under ffn_up
    {"mlp.down_proj.weight", "ffn_down.weight"},
    {"mlp.gate_proj.bias", "ffn_gate.bias"},
    {"mlp.up_proj.bias", "ffn_up.bias"},
    {"mlp.down_proj.bias", "ffn_down.bias"},
    {"post_mlp_layernorm.weight", "post_ffw_norm.weight"},
};

}  // namespace

std::string tensor_name(SourceFormat format, GlobalTensor role) {
  const NamePair& names = kGlobalNames[static_cast<size_t>(role)];
  return format == SourceFormat::kGguf ? names.gguf : names.hf;
}

std::string tensor_name(SourceFormat format, int64_t layer, LayerTensor role) {
  const NamePair& names = kLayerNames[static_cast<size_t>(role)];
  if (format == SourceFormat::kGguf) return "blk." + std::to_string(layer) + "." + names.gguf;
  return "model.layers." + std::to_string(layer) + "." + names.hf;
}

}  // namespace keel
