#include "convert/hf_tensor_names.h"

#include <charconv>
#include <utility>

namespace keel {
namespace {

struct NamePair {
  std::string_view hf;    // suffix after "model.layers.N." (per layer) or the full name
  std::string_view gguf;  // suffix after "blk.N." or the full name
};

constexpr NamePair kGlobalNames[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
};

// Shared by the three families; a family simply has no tensor for the rows it
// does not use (Qwen3 has no biases, only GLM-4 has sandwich norms and a fused
// gate_up).
constexpr NamePair kLayerNames[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.q_norm.weight", "attn_q_norm.weight"},
    {"self_attn.k_norm.weight", "attn_k_norm.weight"},
    // GLM-4-0414: post_attention_layernorm is the pre-MLP norm, as in Llama;
    // the two extra "sandwich" norms scale the attention and MLP outputs.
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"post_self_attn_layernorm.weight", "post_attention_norm.weight"},
    {"post_mlp_layernorm.weight", "post_ffw_norm.weight"},
    {"mlp.gate_up_proj.weight", "ffn_up.weight"},  // fused [gate; up], as llama.cpp's glm4 expects
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

// Splits "model.layers.12.rest" into (12, "rest").
std::optional<std::pair<int, std::string_view>> split_layer(std::string_view name) {
  constexpr std::string_view kPrefix = "model.layers.";
  if (!name.starts_with(kPrefix)) return std::nullopt;
  name.remove_prefix(kPrefix.size());
  int layer = 0;
  const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), layer);
  if (error != std::errc() || end == name.data() || end == name.data() + name.size() || *end != '.')
    return std::nullopt;
  return std::pair{layer, name.substr(static_cast<size_t>(end - name.data()) + 1)};
}

}  // namespace

bool convertible_family(Family family) {
  return family == Family::kGlm4 || family == Family::kQwen2 || family == Family::kQwen3;
}

std::string_view gguf_architecture(Family family) {
  switch (family) {
    case Family::kGlm4: return "glm4";
    case Family::kQwen2: return "qwen2";
    case Family::kQwen3: return "qwen3";
    case Family::kLlama: return "llama";
    case Family::kGlm: return "chatglm";
  }
  return "";
}

std::optional<std::string> gguf_tensor_name(Family family, std::string_view hf_name) {
  (void)family;  // the table is shared; kept in the signature for families that differ
  for (const auto& pair : kGlobalNames)
    if (hf_name == pair.hf) return std::string(pair.gguf);
  const auto layer = split_layer(hf_name);
  if (!layer) return std::nullopt;
  for (const auto& pair : kLayerNames)
    if (layer->second == pair.hf) return "blk." + std::to_string(layer->first) + "." + std::string(pair.gguf);
  return std::nullopt;
}

}  // namespace keel
