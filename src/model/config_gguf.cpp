#include "model/config_gguf.h"

#include <algorithm>
#include <cstdint>

#include "model/arch_registry.h"

namespace keel {
namespace {

// A per-model count that llama.cpp allows to be a per-layer array
// (head_count, head_count_kv, feed_forward_length); keel needs it uniform.
Result<int64_t> uniform_count(const GgufFile& file, const std::string& key) {
  const GgufValue* value = file.find(key);
  if (value && value->type == GgufType::ARRAY) {
    KEEL_ASSIGN_OR_RETURN(const std::vector<int64_t> per_layer, file.get_int_array(key));
    if (per_layer.empty()) return Error{"GGUF key " + key + " is an empty array"};
    if (std::any_of(per_layer.begin(), per_layer.end(), [&](int64_t v) { return v != per_layer.front(); }))
      return Error{"GGUF key " + key + " varies per layer; keel needs one value for all layers"};
    return per_layer.front();
  }
  KEEL_ASSIGN_OR_RETURN(const uint64_t scalar, file.get_uint(key));
  return static_cast<int64_t>(scalar);
}

Result<int64_t> uniform_count_or(const GgufFile& file, const std::string& key, int64_t fallback) {
  if (!file.find(key)) return fallback;
  return uniform_count(file, key);
}

Result<double> float_or(const GgufFile& file, const std::string& key, double fallback) {
  if (!file.find(key)) return fallback;
  return file.get_float(key);
}

Result<std::optional<int32_t>> optional_token(const GgufFile& file, const std::string& key) {
  if (!file.find(key)) return std::optional<int32_t>();
  KEEL_ASSIGN_OR_RETURN(const uint64_t id, file.get_uint(key));
  if (id > INT32_MAX) return Error{"GGUF key " + key + " is not a valid token id"};
  return std::optional<int32_t>(static_cast<int32_t>(id));
}

}  // namespace

Result<ModelConfig> config_from_gguf(const GgufFile& file) {
  KEEL_ASSIGN_OR_RETURN(const std::string_view arch, file.get_string("general.architecture"));
  KEEL_ASSIGN_OR_RETURN(const ArchSpec* spec, find_arch_by_gguf_name(arch));
  const std::string prefix = std::string(arch) + ".";

  ModelConfig out;
  out.family = spec->family;
  out.architecture = std::string(arch);
  out.format = SourceFormat::kGguf;
  KEEL_ASSIGN_OR_RETURN(out.hidden, uniform_count(file, prefix + "embedding_length"));
  KEEL_ASSIGN_OR_RETURN(out.layers, uniform_count(file, prefix + "block_count"));
  KEEL_ASSIGN_OR_RETURN(out.heads, uniform_count(file, prefix + "attention.head_count"));
  KEEL_ASSIGN_OR_RETURN(out.kv_heads, uniform_count_or(file, prefix + "attention.head_count_kv", out.heads));
  KEEL_ASSIGN_OR_RETURN(out.ffn, uniform_count(file, prefix + "feed_forward_length"));
  if (out.heads <= 0) return Error{"GGUF: attention.head_count must be positive"};
  KEEL_ASSIGN_OR_RETURN(out.head_dim, uniform_count_or(file, prefix + "attention.key_length", out.hidden / out.heads));
  KEEL_ASSIGN_OR_RETURN(out.rotary_dims, uniform_count_or(file, prefix + "rope.dimension_count", out.head_dim));
  KEEL_ASSIGN_OR_RETURN(out.context_length, uniform_count_or(file, prefix + "context_length", 2048));
  KEEL_ASSIGN_OR_RETURN(const double eps, float_or(file, prefix + "attention.layer_norm_rms_epsilon", 1e-5));
  out.rms_eps = static_cast<float>(eps);
  KEEL_ASSIGN_OR_RETURN(out.rope_theta, float_or(file, prefix + "rope.freq_base", 10000.0));

  // Vocabulary size: the key, else the tokenizer's list, else the embedding rows.
  const GgufTensorInfo* embedding = file.find_tensor("token_embd.weight");
  int64_t vocab_fallback = embedding ? embedding->view.rows() : 0;
  if (const GgufValue* tokens = file.find("tokenizer.ggml.tokens"); tokens && tokens->type == GgufType::ARRAY)
    vocab_fallback = static_cast<int64_t>(tokens->count);
  KEEL_ASSIGN_OR_RETURN(out.vocab, uniform_count_or(file, prefix + "vocab_size", vocab_fallback));

  if (file.find(prefix + "rope.dimension_sections"))
    return Error{"GGUF: multimodal rope (" + prefix + "rope.dimension_sections) is not supported"};
  if (file.find(prefix + "rope.scaling.type")) {
    KEEL_ASSIGN_OR_RETURN(const std::string_view type, file.get_string(prefix + "rope.scaling.type"));
    if (type == "linear") {
      KEEL_ASSIGN_OR_RETURN(out.rope_linear_factor, float_or(file, prefix + "rope.scaling.factor", 1.0));
    } else if (type != "none") {
      return Error{"GGUF: rope scaling type '" + std::string(type) + "' is not supported (supported: none, linear)"};
    }
  }
  // llama3 scaling arrives as the rope_freqs.weight tensor (Weights reads it).
  out.rope_style = spec->gguf_rope;

  // Optional layers are known from the tensors present in layer 0.
  auto has = [&](const char* name) { return file.find_tensor(name) != nullptr; };
  out.tie_embeddings = !has("output.weight");
  out.qkv_bias = has("blk.0.attn_q.bias") || has("blk.0.attn_qkv.bias");
  out.o_bias = has("blk.0.attn_output.bias");
  out.mlp_bias = has("blk.0.ffn_down.bias");
  out.qk_norm = spec->qk_norm;
  out.sandwich_norms = spec->sandwich_norms;
  out.fused_gate_up = !has("blk.0.ffn_gate.weight");

  KEEL_ASSIGN_OR_RETURN(out.bos_id, optional_token(file, "tokenizer.ggml.bos_token_id"));
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"}) {
    KEEL_ASSIGN_OR_RETURN(const std::optional<int32_t> id, optional_token(file, key));
    if (id && std::find(out.eos_ids.begin(), out.eos_ids.end(), *id) == out.eos_ids.end()) out.eos_ids.push_back(*id);
  }
  KEEL_TRY(validate_config(out));
  return out;
}

}  // namespace keel
