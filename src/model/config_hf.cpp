#include "model/config_hf.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>

#include "model/arch_registry.h"

namespace keel {
namespace {

using nlohmann::json;

// The member `key` of object `j`, or null when absent (json null counts as absent).
const json* member(const json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<double> number_or(const json& j, std::string_view key, double fallback) {
  const json* value = member(j, key);
  if (!value) return fallback;
  if (!value->is_number()) return Error{"config.json: '" + std::string(key) + "' must be a number"};
  return value->get<double>();
}

Result<int64_t> integer_or(const json& j, std::string_view key, int64_t fallback) {
  const json* value = member(j, key);
  if (!value) return fallback;
  if (!value->is_number_integer()) return Error{"config.json: '" + std::string(key) + "' must be an integer"};
  return value->get<int64_t>();
}

Result<int64_t> required_integer(const json& j, std::string_view key) {
  if (!member(j, key)) return Error{"config.json: missing '" + std::string(key) + "'"};
  return integer_or(j, key, 0);
}

Result<bool> bool_or(const json& j, std::string_view key, bool fallback) {
  const json* value = member(j, key);
  if (!value) return fallback;
  if (!value->is_boolean()) return Error{"config.json: '" + std::string(key) + "' must be true or false"};
  return value->get<bool>();
}

// Token ids given as a number, a list of numbers or null.
Result<std::vector<int32_t>> token_ids(const json& j, std::string_view key) {
  std::vector<int32_t> ids;
  const json* value = member(j, key);
  if (!value) return ids;
  auto add = [&](const json& id) -> Status {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX)
      return Error{"'" + std::string(key) + "' must hold non-negative token ids"};
    ids.push_back(static_cast<int32_t>(id.get<int64_t>()));
    return ok_status();
  };
  if (value->is_array()) {
    for (const json& id : *value) KEEL_TRY(add(id));
  } else {
    KEEL_TRY(add(*value));
  }
  return ids;
}

void append_unique(std::vector<int32_t>& to, const std::vector<int32_t>& from) {
  for (int32_t id : from)
    if (std::find(to.begin(), to.end(), id) == to.end()) to.push_back(id);
}

// Rope settings, wherever this transformers version put them. 5.x nests
// everything in `rope_parameters` ({rope_type, rope_theta, factor, ...});
// 4.x has `rope_theta` and `partial_rotary_factor` at top level and the
// scaling in `rope_scaling` ({rope_type | type, factor, ...}).
Status parse_rope(const json& config, const ArchSpec& spec, ModelConfig& out) {
  const json* parameters = member(config, "rope_parameters");
  const json* scaling = parameters ? parameters : member(config, "rope_scaling");
  const json empty = json::object();
  const json& p = parameters ? *parameters : empty;

  KEEL_ASSIGN_OR_RETURN(const double top_theta, number_or(config, "rope_theta", 10000.0));
  KEEL_ASSIGN_OR_RETURN(out.rope_theta, number_or(p, "rope_theta", top_theta));
  KEEL_ASSIGN_OR_RETURN(const double top_partial,
                        number_or(config, "partial_rotary_factor", spec.hf.partial_rotary_default));
  KEEL_ASSIGN_OR_RETURN(const double partial, number_or(p, "partial_rotary_factor", top_partial));
  if (!(partial > 0.0 && partial <= 1.0)) return Error{"config.json: partial_rotary_factor must be in (0, 1]"};
  out.rotary_dims = static_cast<int64_t>(static_cast<double>(out.head_dim) * partial);

  std::string type = "default";
  if (scaling) {
    if (const json* t = member(*scaling, "rope_type"); t && t->is_string()) type = t->get<std::string>();
    else if (const json* legacy = member(*scaling, "type"); legacy && legacy->is_string()) type = legacy->get<std::string>();
  }
  if (type == "default") return ok_status();
  if (type == "linear") {
    KEEL_ASSIGN_OR_RETURN(out.rope_linear_factor, number_or(*scaling, "factor", 1.0));
    return ok_status();
  }
  if (type == "llama3") {
    Llama3RopeScaling llama3;
    KEEL_ASSIGN_OR_RETURN(llama3.factor, number_or(*scaling, "factor", llama3.factor));
    KEEL_ASSIGN_OR_RETURN(llama3.low_freq_factor, number_or(*scaling, "low_freq_factor", llama3.low_freq_factor));
    KEEL_ASSIGN_OR_RETURN(llama3.high_freq_factor, number_or(*scaling, "high_freq_factor", llama3.high_freq_factor));
    KEEL_ASSIGN_OR_RETURN(llama3.original_context,
                          number_or(*scaling, "original_max_position_embeddings", llama3.original_context));
    out.llama3_scaling = llama3;
    return ok_status();
  }
  return Error{"config.json: rope scaling type '" + type + "' is not supported (supported: default, linear, llama3)"};
}

Result<json> read_json(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot open " + path.string()};
  std::ostringstream text;
  text << in.rdbuf();
  json parsed = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return Error{path.string() + ": not a JSON object"};
  return parsed;
}

}  // namespace

Result<ModelConfig> config_from_hf_json(const json& config, const json* generation_config) {
  const json* architectures = member(config, "architectures");
  if (!architectures || !architectures->is_array() || architectures->empty() || !(*architectures)[0].is_string())
    return Error{"config.json: 'architectures' must list the model class, e.g. [\"LlamaForCausalLM\"]"};
  const std::string name = (*architectures)[0].get<std::string>();
  KEEL_ASSIGN_OR_RETURN(const ArchSpec* spec, find_arch_by_hf_name(name));

  ModelConfig out;
  out.family = spec->family;
  out.architecture = name;
  out.format = SourceFormat::kHuggingFace;
  KEEL_ASSIGN_OR_RETURN(out.hidden, required_integer(config, "hidden_size"));
  KEEL_ASSIGN_OR_RETURN(out.layers, required_integer(config, "num_hidden_layers"));
  KEEL_ASSIGN_OR_RETURN(out.heads, required_integer(config, "num_attention_heads"));
  KEEL_ASSIGN_OR_RETURN(out.kv_heads, integer_or(config, "num_key_value_heads", out.heads));
  KEEL_ASSIGN_OR_RETURN(out.ffn, required_integer(config, "intermediate_size"));
  KEEL_ASSIGN_OR_RETURN(out.vocab, required_integer(config, "vocab_size"));
  if (out.heads <= 0) return Error{"config.json: num_attention_heads must be positive"};
  KEEL_ASSIGN_OR_RETURN(out.head_dim, integer_or(config, "head_dim", out.hidden / out.heads));
  KEEL_ASSIGN_OR_RETURN(out.context_length, integer_or(config, "max_position_embeddings", 2048));
  KEEL_ASSIGN_OR_RETURN(const double eps, number_or(config, "rms_norm_eps", 1e-6));
  out.rms_eps = static_cast<float>(eps);
  KEEL_ASSIGN_OR_RETURN(out.tie_embeddings, bool_or(config, "tie_word_embeddings", false));
  KEEL_TRY(parse_rope(config, *spec, out));
  out.rope_style = spec->hf_rope;

  KEEL_ASSIGN_OR_RETURN(const bool attention_bias,
                        bool_or(config, "attention_bias", spec->hf.attention_bias_default));
  out.qkv_bias = spec->hf.qkv_bias_always || attention_bias;
  out.o_bias = spec->hf.attention_bias_on_output && attention_bias;
  KEEL_ASSIGN_OR_RETURN(out.mlp_bias, bool_or(config, "mlp_bias", false));
  out.qk_norm = spec->qk_norm;
  out.sandwich_norms = spec->sandwich_norms;
  out.fused_gate_up = spec->hf_fused_gate_up;

  KEEL_ASSIGN_OR_RETURN(const std::vector<int32_t> bos, token_ids(config, "bos_token_id"));
  if (!bos.empty()) out.bos_id = bos.front();
  KEEL_ASSIGN_OR_RETURN(out.eos_ids, token_ids(config, "eos_token_id"));
  if (generation_config) {
    // generate() stops on generation_config's eos ids; keep config.json's too.
    KEEL_ASSIGN_OR_RETURN(const std::vector<int32_t> extra, token_ids(*generation_config, "eos_token_id"));
    append_unique(out.eos_ids, extra);
    if (!out.bos_id) {
      KEEL_ASSIGN_OR_RETURN(const std::vector<int32_t> gen_bos, token_ids(*generation_config, "bos_token_id"));
      if (!gen_bos.empty()) out.bos_id = gen_bos.front();
    }
  }
  KEEL_TRY(validate_config(out));
  return out;
}

Result<ModelConfig> config_from_hf_dir(const std::filesystem::path& dir) {
  KEEL_ASSIGN_OR_RETURN(const json config, read_json(dir / "config.json"));
  const std::filesystem::path generation_path = dir / "generation_config.json";
  if (!std::filesystem::exists(generation_path)) return config_from_hf_json(config, nullptr);
  KEEL_ASSIGN_OR_RETURN(const json generation, read_json(generation_path));
  return config_from_hf_json(config, &generation);
}

}  // namespace keel
