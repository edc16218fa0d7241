// The architecture registry: one literal row per supported family saying
// how its files name it, which RoPE kernel each format needs, and which
// optional layers it has. Everything that differs between families and is
// not a number in config.json is in this table or in arch/<family>.cpp.
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "model/config.h"

namespace keel {

struct LayerContext;
// One decoder layer of a family, written over the shared blocks in layers.h.
using DecoderLayerFn = void (*)(const LayerContext& context);

// config.json conventions that differ between families.
struct HfConfigRules {
  bool qkv_bias_always = false;         // Qwen2: biases are hard-wired, there is no key
  bool attention_bias_default = false;  // value of `attention_bias` when absent
  bool attention_bias_on_output = false;  // `attention_bias` also adds an o_proj bias
  double partial_rotary_default = 1.0;  // GLM: 0.5
};

struct ArchSpec {
  Family family;
  std::string_view name;                            // "qwen2"
  std::array<std::string_view, 2> hf_architectures;  // config.json "architectures"; "" = unused
  std::string_view gguf_architecture;               // general.architecture
  RopeStyle hf_rope;                                // kernel for safetensors weights
  RopeStyle gguf_rope;                              // kernel for GGUF weights (llama: Q/K rows permuted)
  HfConfigRules hf;
  bool qk_norm;          // per-head q/k RMSNorm
  bool sandwich_norms;   // post-attention and post-MLP output norms
  bool hf_fused_gate_up; // safetensors store mlp.gate_up_proj
  DecoderLayerFn decoder_layer;
};

std::span<const ArchSpec> supported_architectures();
const ArchSpec& arch_spec(Family family);

// Lookups; an unknown name is an Error that lists the supported ones.
Result<const ArchSpec*> find_arch_by_hf_name(std::string_view hf_architecture);
Result<const ArchSpec*> find_arch_by_gguf_name(std::string_view gguf_architecture);

}  // namespace keel
