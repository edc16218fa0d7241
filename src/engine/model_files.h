// ModelFiles: what keel reads around the weights of a model — its
// tokenizer, chat template and special-token strings — from either a GGUF
// file or a Hugging Face model directory.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/result.h"
#include "tokenizer/tokenizer.h"

namespace keel {

enum class ModelFormat { kGguf, kHuggingFaceDir };

struct ModelFiles {
  std::filesystem::path path;
  ModelFormat format = ModelFormat::kGguf;
  Tokenizer tokenizer;
  std::optional<std::string> chat_template;  // Jinja source, if the files carry one
  std::string bos_token;                     // text of BOS/EOS, passed to templates
  std::string eos_token;
};

// Which format `path` is: a directory with config.json, or a file that
// starts with the GGUF magic. Anything else is an Error saying what was found.
Result<ModelFormat> detect_model_format(const std::filesystem::path& path);

Result<ModelFiles> load_model_files(const std::filesystem::path& path);

}  // namespace keel
