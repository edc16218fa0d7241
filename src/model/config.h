// ModelConfig: the hyper-parameters of one checkpoint, in one shape for
// every family and both file formats. Parsed from GGUF metadata
// (config_gguf.cpp) or a Hugging Face config.json (config_hf.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/rope_style.h"
#include "core/result.h"

namespace keel {

enum class Family : uint8_t { kLlama, kQwen2, kQwen3, kGlm, kGlm4 };

enum class SourceFormat : uint8_t { kGguf, kHuggingFace };

// Llama 3.1 "llama3" rope scaling (HF rope_scaling / rope_parameters).
struct Llama3RopeScaling {
  double factor = 8.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  double original_context = 8192;
  bool operator==(const Llama3RopeScaling&) const = default;
};

struct ModelConfig {
  Family family = Family::kLlama;
  std::string architecture;  // the name the file gave: "Qwen2ForCausalLM" or GGUF "qwen2"
  SourceFormat format = SourceFormat::kHuggingFace;

  int64_t hidden = 0;     // H
  int64_t layers = 0;     // L
  int64_t heads = 0;      // query heads
  int64_t kv_heads = 0;   // key/value heads (GQA)
  int64_t head_dim = 0;   // hd (Qwen3 may differ from H / heads)
  int64_t ffn = 0;        // F, the SwiGLU inner width
  int64_t vocab = 0;
  int64_t context_length = 0;
  float rms_eps = 1e-6f;

  double rope_theta = 10000.0;
  int64_t rotary_dims = 0;  // leading dims of a head that rotate (GLM: hd / 2)
  RopeStyle rope_style = RopeStyle::kNeox;
  double rope_linear_factor = 1.0;  // "linear" scaling: frequencies divided by it
  std::optional<Llama3RopeScaling> llama3_scaling;

  bool tie_embeddings = false;  // logits use the token embedding matrix
  bool qkv_bias = false;        // q, k, v projections have biases
  bool o_bias = false;          // output projection has a bias
  bool mlp_bias = false;        // gate, up, down have biases (Llama mlp_bias)
  bool qk_norm = false;         // per-head RMSNorm of q and k before RoPE (Qwen3)
  bool sandwich_norms = false;  // norms on attention and MLP outputs (GLM-4-0414)
  bool fused_gate_up = false;   // the file stores gate and up as one [2F, H] matrix

  std::optional<int32_t> bos_id;
  std::vector<int32_t> eos_ids;  // any of them ends generation

  bool operator==(const ModelConfig&) const = default;
};

// Checks the numbers fit together (heads divide evenly, rotary dims even
// and within a head, sizes positive). Formats call it after parsing.
Status validate_config(const ModelConfig& config);

// "qwen2: 24 layers, hidden 896, heads 14/2 × 64, ffn 4864, vocab 151936, ..."
std::string describe_config(const ModelConfig& config);

std::string_view family_name(Family family);

}  // namespace keel
