// The GGUF tensor name llama.cpp's converter gives each Hugging Face tensor.
//
// One table per family, for the families keel converts: GLM-4-0414
// (`glm4`), Qwen2 and Qwen3. The names are llama.cpp's (gguf-py
// tensor_mapping.py), so that llama.cpp and keel both load the files keel
// writes. Families whose converter also rewrites the data (Llama permutes
// the Q/K rows, GLM-4-9B fuses QKV) are not converted.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/config.h"

namespace keel {

// True for the families keel_convert can write.
bool convertible_family(Family family);

// The GGUF architecture name ("glm4", "qwen2", "qwen3").
std::string_view gguf_architecture(Family family);

// The GGUF name of HF tensor `hf_name`, or nullopt when the converter drops
// it (e.g. lm_head of a tied model) or does not know it.
std::optional<std::string> gguf_tensor_name(Family family, std::string_view hf_name);

}  // namespace keel
