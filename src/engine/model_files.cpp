#include "engine/model_files.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/read_file.h"
#include "format/gguf.h"
#include "model/model.h"

namespace keel {
namespace {

// tokenizer_config.json writes special tokens as a string or as an
// AddedToken object {"content": ...}.
std::string token_string(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string())
    return value["content"].get<std::string>();
  return {};
}

// The default chat template of a Hugging Face directory: tokenizer_config's
// "chat_template" (a string, or a list of {name, template} where "default"
// is the one), else the chat_template.jinja file newer transformers write.
std::optional<std::string> hf_chat_template(const std::filesystem::path& dir, const nlohmann::json& config) {
  if (config.contains("chat_template")) {
    const auto& tmpl = config["chat_template"];
    if (tmpl.is_string()) return tmpl.get<std::string>();
    if (tmpl.is_array()) {
      for (const auto& entry : tmpl)
        if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template") &&
            entry["template"].is_string())
          return entry["template"].get<std::string>();
    }
  }
  if (std::filesystem::exists(dir / "chat_template.jinja")) {
    auto text = read_file(dir / "chat_template.jinja");
    if (text.ok()) return std::move(text).value();
  }
  return std::nullopt;
}

Result<ModelFiles> load_gguf_files(const std::filesystem::path& path, const GgufFile& gguf) {
  KEEL_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::from_gguf(gguf));
  ModelFiles files{path, ModelFormat::kGguf, std::move(tokenizer), std::nullopt, {}, {}};
  if (auto tmpl = gguf.get_string("tokenizer.chat_template"); tmpl.ok())
    files.chat_template = std::string(tmpl.value());
  if (auto bos = files.tokenizer.bos_id()) files.bos_token = std::string(files.tokenizer.token_text(*bos));
  if (auto eos = gguf.get_uint("tokenizer.ggml.eos_token_id"); eos.ok() && eos.value() < static_cast<uint64_t>(files.tokenizer.vocab_size()))
    files.eos_token = std::string(files.tokenizer.token_text(static_cast<int32_t>(eos.value())));
  return files;
}

Result<ModelFiles> load_hf_files(const std::filesystem::path& dir) {
  KEEL_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::from_hf_dir(dir));
  ModelFiles files{dir, ModelFormat::kHuggingFaceDir, std::move(tokenizer), std::nullopt, {}, {}};
  const auto config_path = dir / "tokenizer_config.json";
  if (std::filesystem::exists(config_path)) {
    KEEL_ASSIGN_OR_RETURN(std::string text, read_file(config_path));
    auto config = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (config.is_discarded() || !config.is_object())
      return Error{config_path.string() + " is not a JSON object"};
    files.chat_template = hf_chat_template(dir, config);
    if (config.contains("bos_token")) files.bos_token = token_string(config["bos_token"]);
    if (config.contains("eos_token")) files.eos_token = token_string(config["eos_token"]);
  } else {
    files.chat_template = hf_chat_template(dir, nlohmann::json::object());
  }
  return files;
}

}  // namespace

Result<ModelFiles> load_model_files(const std::filesystem::path& path) {
  KEEL_ASSIGN_OR_RETURN(ModelFormat format, detect_model_format(path));
  if (format == ModelFormat::kHuggingFaceDir) return load_hf_files(path);
  KEEL_ASSIGN_OR_RETURN(GgufFile gguf, GgufFile::open(path));
  return load_gguf_files(path, gguf);
}

Result<ModelFiles> load_model_files(const Model& model) {
  if (const GgufFile* gguf = model.gguf()) return load_gguf_files(model.source_path(), *gguf);
  return load_hf_files(model.source_path());
}

}  // namespace keel
