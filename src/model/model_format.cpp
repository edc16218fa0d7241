#include "model/model_format.h"

#include <fstream>
#include <string_view>

namespace keel {

Result<ModelFormat> detect_model_format(const std::filesystem::path& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    if (!std::filesystem::exists(path / "config.json"))
      return Error{path.string() + " is a directory without config.json: not a Hugging Face model directory"};
    return ModelFormat::kHuggingFaceDir;
  }
  if (!std::filesystem::exists(path, error)) return Error{"no such file or directory: " + path.string()};
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  if (!in.read(magic, 4) || std::string_view(magic, 4) != "GGUF")
    return Error{path.string() + " is neither a GGUF file (no GGUF magic) nor a model directory"};
  return ModelFormat::kGguf;
}

}  // namespace keel
