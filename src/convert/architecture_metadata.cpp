#include "convert/architecture_metadata.h"

#include <cmath>
#include <cstdio>

#include "convert/hf_tensor_names.h"

namespace keel {

uint32_t gguf_file_type(DType type) {
  switch (type) {
    case DType::F32: return 0;
    case DType::F16: return 1;
    case DType::Q4_0: return 2;
    case DType::Q4_1: return 3;
    case DType::Q8_0: return 7;
    case DType::Q5_0: return 8;
    case DType::BF16: return 32;
    case DType::Q4_K: return 15;  // the "_M" mixes; keel never writes K-quants
    case DType::Q5_K: return 17;
    case DType::Q6_K: return 18;
  }
  return 0;
}

std::string size_label(int64_t parameters) {
  // gguf-py model_weight_count_rounded_notation(min_digits=2).
  const double count = static_cast<double>(parameters);
  double scaled = count * 1e-3;
  char suffix = 'K';
  if (count > 1e12) {
    scaled = count * 1e-12, suffix = 'T';
  } else if (count > 1e9) {
    scaled = count * 1e-9, suffix = 'B';
  } else if (count > 1e6) {
    scaled = count * 1e-6, suffix = 'M';
  }
  const long rounded = std::lround(scaled);
  const int digits = rounded == 0 ? 0 : static_cast<int>(std::to_string(rounded).size());
  const int decimals = digits >= 2 ? 0 : 2 - digits;
  char text[64];
  std::snprintf(text, sizeof text, "%.*f%c", decimals, scaled, suffix);
  return text;
}

void add_architecture_metadata(const ModelConfig& config, const std::string& name, int64_t parameters,
                               DType file_type, GgufWriter& writer) {
  const std::string arch(gguf_architecture(config.family));
  auto key = [&](const char* suffix) { return arch + "." + suffix; };
  writer.add_string("general.architecture", arch);
  writer.add_string("general.type", "model");
  writer.add_string("general.name", name);
  writer.add_string("general.size_label", size_label(parameters));
  writer.add_uint32(key("block_count"), static_cast<uint32_t>(config.layers));
  writer.add_uint32(key("context_length"), static_cast<uint32_t>(config.context_length));
  writer.add_uint32(key("embedding_length"), static_cast<uint32_t>(config.hidden));
  writer.add_uint32(key("feed_forward_length"), static_cast<uint32_t>(config.ffn));
  writer.add_uint32(key("attention.head_count"), static_cast<uint32_t>(config.heads));
  writer.add_uint32(key("attention.head_count_kv"), static_cast<uint32_t>(config.kv_heads));
  writer.add_float32(key("rope.freq_base"), static_cast<float>(config.rope_theta));
  writer.add_float32(key("attention.layer_norm_rms_epsilon"), config.rms_eps);
  writer.add_uint32(key("attention.key_length"), static_cast<uint32_t>(config.head_dim));
  writer.add_uint32(key("attention.value_length"), static_cast<uint32_t>(config.head_dim));
  writer.add_uint32("general.file_type", gguf_file_type(file_type));
  // GLM-4 rotates only part of each head; the others rotate all of it and
  // llama.cpp derives that from key_length.
  if (config.family == Family::kGlm4)
    writer.add_uint32(key("rope.dimension_count"), static_cast<uint32_t>(config.rotary_dims));
  writer.add_uint32("general.quantization_version", 2);
}

}  // namespace keel
