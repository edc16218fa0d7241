// ModelFiles: what keel reads around the weights of a model — its
// tokenizer, chat template and special-token strings — from either a GGUF
// file or a Hugging Face model directory.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/result.h"
#include "model/model_format.h"
#include "tokenizer/tokenizer.h"

namespace keel {

class Model;

struct ModelFiles {
  std::filesystem::path path;
  ModelFormat format = ModelFormat::kGguf;
  Tokenizer tokenizer;
  std::optional<std::string> chat_template;  // Jinja source, if the files carry one
  std::string bos_token;                     // text of BOS/EOS, passed to templates
  std::string eos_token;
};

// From a path alone (commands that need no weights: tokenize, chat-template).
Result<ModelFiles> load_model_files(const std::filesystem::path& path);
// Around a loaded model: its GGUF file is already open and its format known,
// so nothing is opened or detected twice.
Result<ModelFiles> load_model_files(const Model& model);

}  // namespace keel
