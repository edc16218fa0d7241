// The general.* and <arch>.* keys of a GGUF file, from a ModelConfig.
//
// Keys, value types and their order are those llama.cpp's converter writes
// for the glm4, qwen2 and qwen3 architectures (checked against its output in
// tests/golden/manifest.json), so llama.cpp and keel read the file alike.
#pragma once

#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "format/gguf_writer.h"
#include "model/config.h"

namespace keel {

// llama.cpp's general.file_type (llama_ftype) of a file whose 2-D tensors are `type`.
uint32_t gguf_file_type(DType type);

// "163K", "11M", "0.5M": gguf-py's rounded parameter count for general.size_label.
std::string size_label(int64_t parameters);

// general.architecture ... <arch>.rope.dimension_count, general.quantization_version.
void add_architecture_metadata(const ModelConfig& config, const std::string& name, int64_t parameters,
                               DType file_type, GgufWriter& writer);

}  // namespace keel
