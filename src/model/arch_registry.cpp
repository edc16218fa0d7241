#include "model/arch_registry.h"

#include "model/arch/decoder_layers.h"

namespace keel {
namespace {

constexpr RopeStyle kNeox = RopeStyle::kNeox;
constexpr RopeStyle kInterleaved = RopeStyle::kInterleaved;

// GGUF llama stores Q/K rows permuted per head so that the interleaved
// kernel computes what HF's rotate-half computes on the original rows
// (reference §0.1). keel keeps the stored rows and picks the kernel per
// format instead of un-permuting (which would need a copy of Wq and Wk).
//
// clang-format off
constexpr ArchSpec kRegistry[] = {
  // family          name     HF architectures                     GGUF      HF rope       GGUF rope     HF config rules {qkv always, bias default, bias on o, partial rotary}  qk norm sandwich fused gate_up  layer
  {Family::kLlama, "llama", {"LlamaForCausalLM", ""},              "llama",   kNeox,        kInterleaved, {false, false, true,  1.0},                                      false,  false,   false,         llama_decoder_layer},
  {Family::kQwen2, "qwen2", {"Qwen2ForCausalLM", ""},              "qwen2",   kNeox,        kNeox,        {true,  false, false, 1.0},                                      false,  false,   false,         qwen2_decoder_layer},
  {Family::kQwen3, "qwen3", {"Qwen3ForCausalLM", ""},              "qwen3",   kNeox,        kNeox,        {false, false, true,  1.0},                                      true,   false,   false,         qwen3_decoder_layer},
  {Family::kGlm,   "glm",   {"GlmForCausalLM", ""},                "chatglm", kInterleaved, kInterleaved, {false, true,  false, 0.5},                                      false,  false,   true,          glm_decoder_layer},
  {Family::kGlm4,  "glm4",  {"Glm4ForCausalLM", ""},               "glm4",    kInterleaved, kInterleaved, {false, true,  false, 0.5},                                      false,  true,    true,          glm4_decoder_layer},
};
// clang-format on

std::string supported_list(bool gguf_names) {
  std::string out;
  for (const ArchSpec& spec : kRegistry) {
    if (gguf_names) {
      out += (out.empty() ? "" : ", ") + std::string(spec.gguf_architecture);
      continue;
    }
    for (std::string_view name : spec.hf_architectures)
      if (!name.empty()) out += (out.empty() ? "" : ", ") + std::string(name);
  }
  return out;
}

}  // namespace

std::span<const ArchSpec> supported_architectures() { return kRegistry; }

const ArchSpec& arch_spec(Family family) {
  for (const ArchSpec& spec : kRegistry)
    if (spec.family == family) return spec;
  KEEL_CHECK(false, "family missing from the registry");
  return kRegistry[0];
}

Result<const ArchSpec*> find_arch_by_hf_name(std::string_view hf_architecture) {
  for (const ArchSpec& spec : kRegistry)
    for (std::string_view name : spec.hf_architectures)
      if (!name.empty() && name == hf_architecture) return &spec;
  return Error{"unsupported architecture '" + std::string(hf_architecture) +
               "'; supported: " + supported_list(false)};
}

Result<const ArchSpec*> find_arch_by_gguf_name(std::string_view gguf_architecture) {
  for (const ArchSpec& spec : kRegistry)
    if (spec.gguf_architecture == gguf_architecture) return &spec;
  return Error{"unsupported GGUF architecture '" + std::string(gguf_architecture) +
               "'; supported: " + supported_list(true)};
}

}  // namespace keel
