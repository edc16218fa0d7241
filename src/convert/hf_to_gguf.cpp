#include "convert/hf_to_gguf.h"

#include <vector>

#include "convert/architecture_metadata.h"
#include "convert/hf_tensor_names.h"
#include "convert/tensor_encoder.h"
#include "convert/tokenizer_metadata.h"
#include "format/gguf_writer.h"
#include "format/safetensors.h"
#include "model/config_hf.h"

namespace keel {
namespace {

struct PlannedTensor {
  std::string gguf_name;
  const TensorView* source;
};

// Every usable tensor of the checkpoint, with its GGUF name, in the
// checkpoint's (sorted) order, which is also the order llama.cpp writes.
Result<std::vector<PlannedTensor>> plan_tensors(const SafetensorsCheckpoint& checkpoint, const ModelConfig& config) {
  std::vector<PlannedTensor> plan;
  for (const auto& hf_name : checkpoint.names()) {
    // A tied model uses the embedding matrix as its output layer; the GGUF
    // has no output.weight then, even if the checkpoint stored a copy.
    if (hf_name == "lm_head.weight" && config.tie_embeddings) continue;
    auto gguf_name = gguf_tensor_name(config.family, hf_name);
    if (!gguf_name) return Error{"keel convert does not know the tensor " + hf_name};
    plan.push_back({std::move(*gguf_name), checkpoint.find(hf_name)});
  }
  return plan;
}

}  // namespace

Result<ConvertSummary> convert_hf_to_gguf(const ConvertOptions& options) {
  if (options.type != DType::F32 && options.type != DType::F16 && options.type != DType::BF16 &&
      options.type != DType::Q8_0 && options.type != DType::Q4_0 && options.type != DType::Q4_1 &&
      options.type != DType::Q5_0)
    return Error{"keel convert cannot write " + std::string(dtype_info(options.type).name) +
                 " files (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0)"};
  KEEL_ASSIGN_OR_RETURN(const ModelConfig config, config_from_hf_dir(options.hf_dir));
  if (!convertible_family(config.family))
    return Error{"keel convert handles glm4, qwen2 and qwen3 models, not " + config.architecture};
  KEEL_ASSIGN_OR_RETURN(const SafetensorsCheckpoint checkpoint, SafetensorsCheckpoint::open_dir(options.hf_dir));
  KEEL_ASSIGN_OR_RETURN(const std::vector<PlannedTensor> plan, plan_tensors(checkpoint, config));

  ConvertSummary summary;
  for (const auto& tensor : plan) summary.parameters += tensor.source->numel();
  auto dir = std::filesystem::absolute(options.hf_dir).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();  // "model/" names "model"
  const std::string name = options.name.empty() ? dir.filename().string() : options.name;

  GgufWriter writer;
  add_architecture_metadata(config, name, summary.parameters, options.type, writer);
  KEEL_TRY(add_tokenizer_metadata(options.hf_dir, config.family, config.vocab, writer));
  for (const auto& tensor : plan) {
    const TensorView& source = *tensor.source;
    const DType type = storage_type_for(source, options.type);
    const std::vector<std::byte> data = encode_tensor(source, type);
    const std::vector<int64_t> shape(source.shape.begin(), source.shape.begin() + source.rank);
    writer.add_tensor(tensor.gguf_name, type, shape, data);
    ++summary.tensors;
  }
  KEEL_TRY(writer.write(options.out));
  std::error_code error;
  summary.file_bytes = std::filesystem::file_size(options.out, error);
  return summary;
}

}  // namespace keel
