#include "model/config.h"

#include <sstream>

#include "model/arch_registry.h"

namespace keel {

std::string_view family_name(Family family) { return arch_spec(family).name; }

Status validate_config(const ModelConfig& c) {
  const std::string where = "model config (" + c.architecture + "): ";
  if (c.hidden <= 0 || c.layers <= 0 || c.heads <= 0 || c.kv_heads <= 0 || c.head_dim <= 0 || c.ffn <= 0 ||
      c.vocab <= 0)
    return Error{where + "hidden, layers, heads, kv_heads, head_dim, ffn and vocab must all be positive"};
  if (c.heads % c.kv_heads != 0)
    return Error{where + "heads (" + std::to_string(c.heads) + ") is not a multiple of kv_heads (" +
                 std::to_string(c.kv_heads) + ")"};
  if (c.rotary_dims <= 0 || c.rotary_dims % 2 != 0 || c.rotary_dims > c.head_dim)
    return Error{where + "rotary dims " + std::to_string(c.rotary_dims) + " must be even and within head_dim " +
                 std::to_string(c.head_dim)};
  if (!(c.rope_theta > 0) || !(c.rms_eps > 0) || !(c.rope_linear_factor > 0))
    return Error{where + "rope theta, rms eps and rope scaling factor must be positive"};
  if (c.llama3_scaling && (c.llama3_scaling->factor <= 0 || c.llama3_scaling->original_context <= 0 ||
                           c.llama3_scaling->high_freq_factor <= c.llama3_scaling->low_freq_factor))
    return Error{where + "invalid llama3 rope scaling parameters"};
  if (c.context_length <= 0) return Error{where + "context length must be positive"};
  return ok_status();
}

std::string describe_config(const ModelConfig& c) {
  std::ostringstream out;
  out << family_name(c.family) << " (" << c.architecture << ", "
      << (c.format == SourceFormat::kGguf ? "GGUF" : "Hugging Face") << "): " << c.layers << " layers, hidden "
      << c.hidden << ", heads " << c.heads << "/" << c.kv_heads << " x " << c.head_dim << ", ffn " << c.ffn
      << ", vocab " << c.vocab << ", context " << c.context_length << ", rope "
      << (c.rope_style == RopeStyle::kNeox ? "neox" : "interleaved") << " theta " << c.rope_theta << " on "
      << c.rotary_dims << " dims";
  if (c.llama3_scaling) out << " (llama3 scaling x" << c.llama3_scaling->factor << ")";
  if (c.rope_linear_factor != 1.0) out << " (linear scaling x" << c.rope_linear_factor << ")";
  out << ", rms eps " << c.rms_eps;
  if (c.qkv_bias) out << ", qkv bias";
  if (c.qk_norm) out << ", qk norm";
  if (c.sandwich_norms) out << ", sandwich norms";
  if (c.tie_embeddings) out << ", tied embeddings";
  return out.str();
}

}  // namespace keel
