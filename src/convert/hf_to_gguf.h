// keel convert: a Hugging Face model directory to one GGUF file.
//
// Reads config.json, model.safetensors (or its shards), tokenizer.json and
// tokenizer_config.json, and writes, with keel's own GgufWriter, the file
// llama.cpp's convert_hf_to_gguf.py writes for the same directory: the same
// metadata keys, tensor names, shapes and types (1-D tensors F32, the rest
// `type`). Families: GLM-4-0414 (glm4), Qwen2, Qwen3.
#pragma once

#include <filesystem>
#include <string>

#include "core/dtype.h"
#include "core/result.h"

namespace keel {

struct ConvertOptions {
  std::filesystem::path hf_dir;
  std::filesystem::path out;
  DType type = DType::F16;  // F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0
  std::string name;         // general.name; empty: the directory's name
};

struct ConvertSummary {
  int64_t tensors = 0;
  int64_t parameters = 0;
  uintmax_t file_bytes = 0;
};

Result<ConvertSummary> convert_hf_to_gguf(const ConvertOptions& options);

}  // namespace keel
