#include "tiny_model.h"

#include <cmath>
#include <fstream>
#include <map>
#include <numbers>
#include <random>

#include <nlohmann/json.hpp>

#include "core/dequantize.h"
#include "format/gguf_writer.h"
#include "model/arch_registry.h"
#include "model/tensor_names.h"

namespace keel::testing {
namespace {

constexpr int64_t kHidden = 64, kLayers = 2, kHeads = 4, kKvHeads = 2, kFfn = 96, kVocab = 100;
constexpr double kTheta = 10000.0;
constexpr float kEps = 1e-5f;

struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  int64_t rows() const { return shape.size() == 1 ? 1 : shape[0]; }
  int64_t cols() const { return shape.back(); }
};

int64_t head_dim_of(Family family) { return family == Family::kQwen3 ? 32 : kHidden / kHeads; }

// One tensor per role, in HF layout; `gguf_names` says what GGUF calls it.
struct TinyTensors {
  std::vector<std::pair<GlobalTensor, HostTensor>> globals;
  std::vector<std::vector<std::pair<LayerTensor, HostTensor>>> layers;
};

TinyTensors make_tensors(const TinyModelOptions& o, const ModelConfig& c) {
  std::mt19937 rng(1234 + static_cast<int>(o.family));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto tensor = [&](std::vector<int64_t> shape, float scale, float offset) {
    HostTensor t{shape, {}};
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    t.data.resize(static_cast<size_t>(n));
    for (float& v : t.data) v = offset + scale * normal(rng);
    return t;
  };
  const int64_t H = c.hidden, q_rows = c.heads * c.head_dim, kv_rows = c.kv_heads * c.head_dim, F = c.ffn;
  TinyTensors out;
  out.globals.emplace_back(GlobalTensor::kTokenEmbedding, tensor({c.vocab, H}, 1.0f, 0.0f));
  out.globals.emplace_back(GlobalTensor::kOutputNorm, tensor({H}, 0.1f, 1.0f));
  if (!c.tie_embeddings) out.globals.emplace_back(GlobalTensor::kOutput, tensor({c.vocab, H}, 0.2f, 0.0f));
  for (int64_t l = 0; l < c.layers; ++l) {
    auto& layer = out.layers.emplace_back();
    auto add = [&](LayerTensor role, std::vector<int64_t> shape, float scale, float offset) {
      layer.emplace_back(role, tensor(std::move(shape), scale, offset));
    };
    add(LayerTensor::kAttnNorm, {H}, 0.1f, 1.0f);
    add(LayerTensor::kQ, {q_rows, H}, 0.15f, 0.0f);
    add(LayerTensor::kK, {kv_rows, H}, 0.15f, 0.0f);
    add(LayerTensor::kV, {kv_rows, H}, 0.15f, 0.0f);
    if (c.qkv_bias) {
      add(LayerTensor::kQBias, {q_rows}, 0.1f, 0.0f);
      add(LayerTensor::kKBias, {kv_rows}, 0.1f, 0.0f);
      add(LayerTensor::kVBias, {kv_rows}, 0.1f, 0.0f);
    }
    if (c.qk_norm) {
      add(LayerTensor::kQNorm, {c.head_dim}, 0.1f, 1.0f);
      add(LayerTensor::kKNorm, {c.head_dim}, 0.1f, 1.0f);
    }
    add(LayerTensor::kO, {H, q_rows}, 0.15f, 0.0f);
    if (c.sandwich_norms) add(LayerTensor::kPostAttnNorm, {H}, 0.1f, 1.0f);
    add(LayerTensor::kFfnNorm, {H}, 0.1f, 1.0f);
    if (c.fused_gate_up) {
      add(LayerTensor::kGateUp, {2 * F, H}, 0.15f, 0.0f);
    } else {
      add(LayerTensor::kGate, {F, H}, 0.15f, 0.0f);
      add(LayerTensor::kUp, {F, H}, 0.15f, 0.0f);
    }
    add(LayerTensor::kDown, {H, F}, 0.15f, 0.0f);
    if (c.sandwich_norms) add(LayerTensor::kPostFfnNorm, {H}, 0.1f, 1.0f);
  }
  return out;
}

ModelConfig tiny_config(const TinyModelOptions& o) {
  const ArchSpec& spec = arch_spec(o.family);
  ModelConfig c;
  c.family = o.family;
  c.hidden = kHidden;
  c.layers = kLayers;
  c.heads = kHeads;
  c.kv_heads = kKvHeads;
  c.head_dim = head_dim_of(o.family);
  c.rotary_dims = static_cast<int64_t>(c.head_dim * spec.hf.partial_rotary_default);
  c.ffn = kFfn;
  c.vocab = kVocab;
  c.tie_embeddings = o.tie_embeddings;
  c.qkv_bias = spec.hf.qkv_bias_always || spec.hf.attention_bias_default;
  c.qk_norm = spec.qk_norm;
  c.sandwich_norms = spec.sandwich_norms;
  c.fused_gate_up = spec.hf_fused_gate_up;
  return c;
}

nlohmann::json hf_config_json(const TinyModelOptions& o, const ModelConfig& c) {
  nlohmann::json j;
  j["architectures"] = {std::string(arch_spec(o.family).hf_architectures[0])};
  j["hidden_size"] = c.hidden;
  j["intermediate_size"] = c.ffn;
  j["num_hidden_layers"] = c.layers;
  j["num_attention_heads"] = c.heads;
  j["num_key_value_heads"] = c.kv_heads;
  j["head_dim"] = c.head_dim;
  j["vocab_size"] = c.vocab;
  j["rms_norm_eps"] = kEps;
  j["rope_theta"] = kTheta;
  j["max_position_embeddings"] = 256;
  j["tie_word_embeddings"] = c.tie_embeddings;
  j["bos_token_id"] = 1;
  j["eos_token_id"] = 2;
  if (o.llama3_scaling)
    j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                         {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 64}};
  return j;
}

Status write_safetensors(const std::vector<std::pair<std::string, const HostTensor*>>& tensors,
                         const std::filesystem::path& path) {
  nlohmann::json header;
  header["__metadata__"] = {{"format", "pt"}};
  size_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const size_t bytes = t->data.size() * sizeof(float);
    header[name] = {{"dtype", "F32"}, {"shape", t->shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::ofstream out(path, std::ios::binary);
  const uint64_t length = text.size();
  out.write(reinterpret_cast<const char*>(&length), sizeof(length));
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const auto& [name, t] : tensors)
    out.write(reinterpret_cast<const char*>(t->data.data()), static_cast<std::streamsize>(t->data.size() * 4));
  if (!out) return Error{"cannot write " + path.string()};
  return ok_status();
}

// llama.cpp's converter reorders each head's rows so that the interleaved
// kernel reproduces rotate-half: GGUF row 2j+t = HF row t*(hd/2)+j.
HostTensor permute_for_gguf_llama(const HostTensor& t, int64_t heads) {
  HostTensor out = t;
  const int64_t hd = t.rows() / heads, half = hd / 2, cols = t.cols();
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t j = 0; j < half; ++j)
      for (int64_t part = 0; part < 2; ++part)
        std::copy_n(t.data.begin() + (h * hd + part * half + j) * cols, cols,
                    out.data.begin() + (h * hd + 2 * j + part) * cols);
  return out;
}

HostTensor concat_rows(const std::vector<const HostTensor*>& parts) {
  HostTensor out{{0}, {}};
  for (const HostTensor* p : parts) {
    out.data.insert(out.data.end(), p->data.begin(), p->data.end());
    out.shape[0] += p->shape[0];
  }
  if (parts[0]->shape.size() == 2) out.shape.push_back(parts[0]->cols());
  return out;
}

void add_gguf_tensor(GgufWriter& writer, const std::string& name, const HostTensor& t, DType matrix_dtype) {
  const DType dtype = t.shape.size() == 2 ? matrix_dtype : DType::F32;
  const size_t row_bytes = dtype_row_bytes(dtype, t.cols());
  std::vector<std::byte> bytes(row_bytes * static_cast<size_t>(t.rows()));
  for (int64_t r = 0; r < t.rows(); ++r) quantize_row(dtype, t.data.data() + r * t.cols(), bytes.data() + r * row_bytes, t.cols());
  writer.add_tensor(name, dtype, t.shape, bytes);
}

// Per-pair divisors of llama3 scaling as llama.cpp stores them (rope_freqs.weight).
std::vector<float> llama3_divisors(int64_t head_dim) {
  const double factor = 8.0, low = 1.0, high = 4.0, original = 64.0;
  std::vector<float> divisors;
  for (int64_t j = 0; j < head_dim / 2; ++j) {
    const double wavelength = 2.0 * std::numbers::pi * std::pow(kTheta, 2.0 * j / head_dim);
    if (wavelength < original / high) divisors.push_back(1.0f);
    else if (wavelength > original / low) divisors.push_back(static_cast<float>(factor));
    else {
      const double s = (original / wavelength - low) / (high - low);
      divisors.push_back(static_cast<float>(1.0 / ((1.0 - s) / factor + s)));
    }
  }
  return divisors;
}

Status write_gguf(const TinyModelOptions& o, const ModelConfig& c, const TinyTensors& tensors,
                  const std::filesystem::path& path) {
  const std::string arch(arch_spec(o.family).gguf_architecture);
  GgufWriter w;
  w.add_string("general.architecture", arch);
  w.add_uint32(arch + ".context_length", 256);
  w.add_uint32(arch + ".embedding_length", static_cast<uint32_t>(c.hidden));
  w.add_uint32(arch + ".block_count", static_cast<uint32_t>(c.layers));
  w.add_uint32(arch + ".feed_forward_length", static_cast<uint32_t>(c.ffn));
  w.add_uint32(arch + ".attention.head_count", static_cast<uint32_t>(c.heads));
  w.add_uint32(arch + ".attention.head_count_kv", static_cast<uint32_t>(c.kv_heads));
  w.add_uint32(arch + ".attention.key_length", static_cast<uint32_t>(c.head_dim));
  w.add_uint32(arch + ".attention.value_length", static_cast<uint32_t>(c.head_dim));
  w.add_float32(arch + ".attention.layer_norm_rms_epsilon", kEps);
  w.add_float32(arch + ".rope.freq_base", static_cast<float>(kTheta));
  w.add_uint32(arch + ".rope.dimension_count", static_cast<uint32_t>(c.rotary_dims));
  w.add_uint32("tokenizer.ggml.bos_token_id", 1);
  w.add_uint32("tokenizer.ggml.eos_token_id", 2);
  for (const auto& [role, t] : tensors.globals)
    add_gguf_tensor(w, tensor_name(SourceFormat::kGguf, role), t, o.gguf_matrix_dtype);
  if (o.llama3_scaling) {
    const std::vector<float> divisors = llama3_divisors(c.head_dim);
    w.add_tensor("rope_freqs.weight", DType::F32, {static_cast<int64_t>(divisors.size())},
                 std::as_bytes(std::span<const float>(divisors)));
  }
  const bool permute = o.family == Family::kLlama;
  for (int64_t l = 0; l < c.layers; ++l) {
    std::map<LayerTensor, const HostTensor*> by_role;
    for (const auto& [role, t] : tensors.layers[l]) by_role[role] = &t;
    for (const auto& [role, t] : tensors.layers[l]) {
      const bool is_q = role == LayerTensor::kQ || role == LayerTensor::kQBias;
      const bool is_k = role == LayerTensor::kK || role == LayerTensor::kKBias;
      const bool is_v = role == LayerTensor::kV || role == LayerTensor::kVBias;
      if (o.fused_qkv_in_gguf && (is_q || is_k || is_v)) {
        if (!is_q) continue;  // written once, with the Q role
        const bool bias = role == LayerTensor::kQBias;
        const HostTensor fused = bias ? concat_rows({&t, by_role[LayerTensor::kKBias], by_role[LayerTensor::kVBias]})
                                      : concat_rows({&t, by_role[LayerTensor::kK], by_role[LayerTensor::kV]});
        add_gguf_tensor(w, tensor_name(SourceFormat::kGguf, l, bias ? LayerTensor::kQkvBias : LayerTensor::kQkv),
                        fused, o.gguf_matrix_dtype);
        continue;
      }
      const std::string name = tensor_name(SourceFormat::kGguf, l, role);
      if (permute && (is_q || is_k))
        add_gguf_tensor(w, name, permute_for_gguf_llama(t, is_q ? c.heads : c.kv_heads), o.gguf_matrix_dtype);
      else
        add_gguf_tensor(w, name, t, o.gguf_matrix_dtype);
    }
  }
  return w.write(path);
}

}  // namespace

Status write_tiny_model(const TinyModelOptions& options, const std::filesystem::path& dir) {
  const ModelConfig config = tiny_config(options);
  const TinyTensors tensors = make_tensors(options, config);
  std::filesystem::create_directories(dir / "hf");
  {
    std::ofstream json_out(dir / "hf" / "config.json");
    json_out << hf_config_json(options, config).dump(2);
  }
  std::vector<std::pair<std::string, const HostTensor*>> named;
  for (const auto& [role, t] : tensors.globals) named.emplace_back(tensor_name(SourceFormat::kHuggingFace, role), &t);
  for (int64_t l = 0; l < config.layers; ++l)
    for (const auto& [role, t] : tensors.layers[l])
      named.emplace_back(tensor_name(SourceFormat::kHuggingFace, l, role), &t);
  KEEL_TRY(write_safetensors(named, dir / "hf" / "model.safetensors"));
  return write_gguf(options, config, tensors, dir / "model.gguf");
}

}  // namespace keel::testing
