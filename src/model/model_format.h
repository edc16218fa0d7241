// Which kind of model a path holds: a GGUF file or a Hugging Face
// directory. Decided once, by load_model; the tokenizer files around the
// weights (engine/model_files.h) follow the same answer.
#pragma once

#include <filesystem>

#include "core/result.h"

namespace keel {

enum class ModelFormat { kGguf, kHuggingFaceDir };

// A directory with config.json, or a file that starts with the GGUF magic.
// Anything else is an Error saying what was found.
Result<ModelFormat> detect_model_format(const std::filesystem::path& path);

}  // namespace keel
