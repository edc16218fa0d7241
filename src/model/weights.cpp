#include "model/weights.h"

#include <map>
#include <sstream>

#include "core/check.h"
#include "core/dequantize.h"
#include "model/tensor_names.h"

namespace keel {
namespace {

std::string shape_string(std::initializer_list<int64_t> shape) {
  std::string out = "[";
  for (int64_t d : shape) out += (out.size() > 1 ? ", " : "") + std::to_string(d);
  return out + "]";
}

bool has_shape(const TensorView& view, std::initializer_list<int64_t> shape) {
  if (view.rank != static_cast<int>(shape.size())) return false;
  int i = 0;
  for (int64_t d : shape)
    if (view.shape[i++] != d) return false;
  return true;
}

// Rows [first, first + count) of a matrix, as a matrix of its own.
TensorView row_range(const TensorView& matrix, int64_t first, int64_t count) {
  TensorView part = matrix;
  part.shape[0] = count;
  part.data = matrix.row(first);
  part.nbytes = static_cast<size_t>(count) * matrix.row_bytes();
  return part;
}

}  // namespace

// Resolves names for one file and fills a Weights. Every required tensor
// is checked for presence and shape; the first problem is returned.
class WeightsLoader {
 public:
  WeightsLoader(const TensorLookup& lookup, const ModelConfig& config, Weights& out)
      : lookup_(lookup), config_(config), out_(out) {}

  Status load() {
    const SourceFormat f = config_.format;
    const int64_t H = config_.hidden;
    KEEL_ASSIGN_OR_RETURN(out_.token_embedding,
                          matrix(tensor_name(f, GlobalTensor::kTokenEmbedding), {config_.vocab, H}));
    KEEL_ASSIGN_OR_RETURN(out_.output_norm, vector(tensor_name(f, GlobalTensor::kOutputNorm), H));
    if (config_.tie_embeddings) {
      out_.output = out_.token_embedding;
    } else {
      KEEL_ASSIGN_OR_RETURN(out_.output, matrix(tensor_name(f, GlobalTensor::kOutput), {config_.vocab, H}));
    }
    if (const std::string name = tensor_name(f, GlobalTensor::kRopeFrequencies); !name.empty() && lookup_(name)) {
      KEEL_ASSIGN_OR_RETURN(const float* divisors, vector(name, config_.rotary_dims / 2));
      out_.rope_divisors = {divisors, static_cast<size_t>(config_.rotary_dims / 2)};
    }
    out_.layers.resize(static_cast<size_t>(config_.layers));
    for (int64_t layer = 0; layer < config_.layers; ++layer) KEEL_TRY(load_layer(layer, out_.layers[layer]));
    return ok_status();
  }

 private:
  Status load_layer(int64_t layer, LayerWeights& w) {
    const int64_t H = config_.hidden, F = config_.ffn;
    const int64_t q_rows = config_.heads * config_.head_dim;
    const int64_t kv_rows = config_.kv_heads * config_.head_dim;
    auto name = [&](LayerTensor role) { return tensor_name(config_.format, layer, role); };

    KEEL_ASSIGN_OR_RETURN(w.attn_norm, vector(name(LayerTensor::kAttnNorm), H));
    if (!lookup_(name(LayerTensor::kQ)) && lookup_(name(LayerTensor::kQkv))) {
      // Fused projection (THUDM ChatGLM GGUFs): Q rows, then K rows, then V rows.
      KEEL_ASSIGN_OR_RETURN(const TensorView qkv, matrix(name(LayerTensor::kQkv), {q_rows + 2 * kv_rows, H}));
      w.q = row_range(qkv, 0, q_rows);
      w.k = row_range(qkv, q_rows, kv_rows);
      w.v = row_range(qkv, q_rows + kv_rows, kv_rows);
      if (config_.qkv_bias) {
        KEEL_ASSIGN_OR_RETURN(const float* bias, vector(name(LayerTensor::kQkvBias), q_rows + 2 * kv_rows));
        w.q_bias = bias;
        w.k_bias = bias + q_rows;
        w.v_bias = bias + q_rows + kv_rows;
      }
    } else {
      KEEL_ASSIGN_OR_RETURN(w.q, matrix(name(LayerTensor::kQ), {q_rows, H}));
      KEEL_ASSIGN_OR_RETURN(w.k, matrix(name(LayerTensor::kK), {kv_rows, H}));
      KEEL_ASSIGN_OR_RETURN(w.v, matrix(name(LayerTensor::kV), {kv_rows, H}));
      if (config_.qkv_bias) {
        KEEL_ASSIGN_OR_RETURN(w.q_bias, vector(name(LayerTensor::kQBias), q_rows));
        KEEL_ASSIGN_OR_RETURN(w.k_bias, vector(name(LayerTensor::kKBias), kv_rows));
        KEEL_ASSIGN_OR_RETURN(w.v_bias, vector(name(LayerTensor::kVBias), kv_rows));
      }
    }
    if (config_.qk_norm) {
      KEEL_ASSIGN_OR_RETURN(w.q_norm, vector(name(LayerTensor::kQNorm), config_.head_dim));
      KEEL_ASSIGN_OR_RETURN(w.k_norm, vector(name(LayerTensor::kKNorm), config_.head_dim));
    }
    KEEL_ASSIGN_OR_RETURN(w.o, matrix(name(LayerTensor::kO), {H, q_rows}));
    if (config_.o_bias) {
      KEEL_ASSIGN_OR_RETURN(w.o_bias, vector(name(LayerTensor::kOBias), H));
    }
    if (config_.sandwich_norms) {
      KEEL_ASSIGN_OR_RETURN(w.post_attn_norm, vector(name(LayerTensor::kPostAttnNorm), H));
    }

    KEEL_ASSIGN_OR_RETURN(w.ffn_norm, vector(name(LayerTensor::kFfnNorm), H));
    if (config_.fused_gate_up) {
      // [2F, H]: gate rows first, then up rows (HF gate_up_proj, llama.cpp swiglu order).
      KEEL_ASSIGN_OR_RETURN(const TensorView gate_up, matrix(name(LayerTensor::kGateUp), {2 * F, H}));
      w.gate = row_range(gate_up, 0, F);
      w.up = row_range(gate_up, F, F);
    } else {
      KEEL_ASSIGN_OR_RETURN(w.gate, matrix(name(LayerTensor::kGate), {F, H}));
      KEEL_ASSIGN_OR_RETURN(w.up, matrix(name(LayerTensor::kUp), {F, H}));
    }
    KEEL_ASSIGN_OR_RETURN(w.down, matrix(name(LayerTensor::kDown), {H, F}));
    if (config_.mlp_bias) {
      if (!config_.fused_gate_up) {
        KEEL_ASSIGN_OR_RETURN(w.gate_bias, vector(name(LayerTensor::kGateBias), F));
        KEEL_ASSIGN_OR_RETURN(w.up_bias, vector(name(LayerTensor::kUpBias), F));
      }
      KEEL_ASSIGN_OR_RETURN(w.down_bias, vector(name(LayerTensor::kDownBias), H));
    }
    if (config_.sandwich_norms) {
      KEEL_ASSIGN_OR_RETURN(w.post_ffn_norm, vector(name(LayerTensor::kPostFfnNorm), H));
    }
    return ok_status();
  }

  Result<TensorView> find(const std::string& name, std::initializer_list<int64_t> shape) {
    const TensorView* view = lookup_(name);
    if (!view) return Error{"missing tensor '" + name + "' (" + std::string(family_name(config_.family)) +
                            " expects shape " + shape_string(shape) + ")"};
    if (!has_shape(*view, shape))
      return Error{"tensor '" + name + "': expected shape " + shape_string(shape) + ", found " + view->describe()};
    out_.tensors_.emplace_back(name, *view);
    return *view;
  }

  Result<TensorView> matrix(const std::string& name, std::initializer_list<int64_t> shape) {
    return find(name, shape);
  }

  // A 1-D tensor decoded to float32 and kept by the Weights.
  Result<const float*> vector(const std::string& name, int64_t length) {
    KEEL_ASSIGN_OR_RETURN(const TensorView view, find(name, {length}));
    if (is_quantized(view.dtype))
      return Error{"tensor '" + name + "': 1-D tensors must be f32, f16 or bf16, found " + view.describe()};
    std::vector<float>& decoded = out_.decoded_vectors_.emplace_back(static_cast<size_t>(length));
    dequantize_row(view.dtype, view.data, decoded.data(), length);
    return decoded.data();
  }

  const TensorLookup& lookup_;
  const ModelConfig& config_;
  Weights& out_;
};

Result<Weights> Weights::load(const TensorLookup& lookup, const ModelConfig& config) {
  Weights weights;
  WeightsLoader loader(lookup, config, weights);
  KEEL_TRY(loader.load());
  return weights;
}

Status Weights::make_resident(Backend& backend) {
  // Host address -> device address of every block made resident, so that a
  // tensor seen twice (tied embeddings) is uploaded once.
  std::map<const void*, const std::byte*> resident;
  // `upload()` makes the block at `host` resident, the first time it is seen.
  auto place = [&](const void* host, auto upload) -> Result<const std::byte*> {
    if (auto found = resident.find(host); found != resident.end()) return found->second;
    KEEL_ASSIGN_OR_RETURN(const std::byte* device, upload());
    resident.emplace(host, device);
    return device;
  };
  // A pointer may point into a decoded vector (GLM's fused qkv bias is one
  // vector, its q/k/v parts pointers into it): the whole vector moves.
  std::map<const float*, size_t> vector_floats;  // start -> length
  for (const std::vector<float>& v : decoded_vectors_) vector_floats[v.data()] = v.size();
  auto move_vector = [&](const float*& pointer) -> Status {
    if (pointer == nullptr) return ok_status();
    auto owner = vector_floats.upper_bound(pointer);
    KEEL_CHECK(owner != vector_floats.begin(), "a weight vector the loader did not decode");
    --owner;
    KEEL_CHECK(pointer < owner->first + owner->second, "a weight vector the loader did not decode");
    const std::span<const std::byte> bytes = std::as_bytes(std::span(owner->first, owner->second));
    KEEL_ASSIGN_OR_RETURN(const std::byte* device,
                          place(owner->first, [&] { return backend.make_resident(bytes); }));
    pointer = reinterpret_cast<const float*>(device) + (pointer - owner->first);
    return ok_status();
  };
  auto move_view = [&](TensorView& view) -> Status {
    if (view.data == nullptr) return ok_status();
    // A matrix goes as a matrix, so that the backend may lay its rows out
    // for its kernels (a tied embedding is one host tensor of one shape).
    KEEL_ASSIGN_OR_RETURN(view.data, place(view.data, [&] { return backend.make_matrix_resident(view); }));
    return ok_status();
  };
  KEEL_TRY(move_view(token_embedding));
  KEEL_TRY(move_view(output));
  KEEL_TRY(move_vector(output_norm));
  for (LayerWeights& w : layers) {
    for (TensorView* view : {&w.q, &w.k, &w.v, &w.o, &w.gate, &w.up, &w.down}) KEEL_TRY(move_view(*view));
    for (const float** vector : {&w.attn_norm, &w.q_bias, &w.k_bias, &w.v_bias, &w.q_norm, &w.k_norm, &w.o_bias,
                                 &w.post_attn_norm, &w.ffn_norm, &w.gate_bias, &w.up_bias, &w.down_bias,
                                 &w.post_ffn_norm})
      KEEL_TRY(move_vector(*vector));
  }
  return ok_status();
}

int64_t Weights::parameter_count() const {
  int64_t total = 0;
  for (const auto& [name, view] : tensors_) total += view.numel();
  return total;
}

std::string Weights::describe_dtypes() const {
  struct Tally {
    int64_t tensors = 0;
    int64_t params = 0;
    size_t bytes = 0;
  };
  std::map<std::string_view, Tally> by_dtype;
  for (const auto& [name, view] : tensors_) {
    Tally& tally = by_dtype[dtype_info(view.dtype).name];
    ++tally.tensors;
    tally.params += view.numel();
    tally.bytes += view.nbytes;
  }
  std::ostringstream out;
  bool first = true;
  for (const auto& [dtype, tally] : by_dtype) {
    out << (first ? "" : ", ") << dtype << ": " << tally.tensors << " tensors, " << tally.params << " params, "
        << tally.bytes << " bytes";
    first = false;
  }
  return out.str();
}

}  // namespace keel
