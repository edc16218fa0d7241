// Tokenizer queries and the loader steps shared by GGUF and tokenizer.json.
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tokenizer/tokenizer_model.h"

namespace keel {

namespace detail {

void index_vocabulary(TokenizerModel& model) {
  model.byte_tokens.fill(-1);
  model.ids.reserve(model.texts.size());
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int32_t id = 0; id < model.size(); ++id) {
    const std::string& text = model.texts[id];
    if (text.empty() && model.kinds[id] == TokenKind::Unused) continue;  // a gap in the id space
    model.ids.try_emplace(text, id);
  }
  for (int byte = 0; byte < 256; ++byte) {
    const std::string name = std::string("<0x") + kHex[byte >> 4] + kHex[byte & 15] + ">";
    if (const auto it = model.ids.find(name); it != model.ids.end()) model.byte_tokens[byte] = it->second;
  }
}

void collect_end_of_generation(TokenizerModel& model) {
  // Texts that end a turn in the families keel serves (llama.cpp's list).
  static constexpr std::string_view kEndOfTurnTexts[] = {
      "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>",
  };
  if (model.eos_id) model.end_of_generation.insert(*model.eos_id);
  for (std::string_view text : kEndOfTurnTexts) {
    if (const auto it = model.ids.find(text); it != model.ids.end()) model.end_of_generation.insert(it->second);
  }
}

}  // namespace detail

Tokenizer::Tokenizer(std::shared_ptr<const detail::TokenizerModel> model) : model_(std::move(model)) {}

Result<Tokenizer> Tokenizer::from_hf_dir(const std::filesystem::path& dir) {
  auto read = [](const std::filesystem::path& path) -> std::optional<std::string> {
    std::ifstream file(path, std::ios::binary);
    if (!file) return std::nullopt;
    std::ostringstream contents;
    contents << file.rdbuf();
    return contents.str();
  };
  const auto tokenizer_json = read(dir / "tokenizer.json");
  if (!tokenizer_json) return Error{"cannot read " + (dir / "tokenizer.json").string()};
  const auto config_json = read(dir / "tokenizer_config.json");
  auto tokenizer = from_hf_json(*tokenizer_json, config_json.value_or(std::string()));
  if (!tokenizer.ok()) return Error{(dir / "tokenizer.json").string() + ": " + tokenizer.error().message};
  return tokenizer;
}

int32_t Tokenizer::vocab_size() const { return model_->size(); }

std::optional<int32_t> Tokenizer::bos_id() const { return model_->bos_id; }

std::optional<int32_t> Tokenizer::eos_id() const { return model_->eos_id; }

bool Tokenizer::adds_bos() const { return model_->add_bos && model_->bos_id.has_value(); }

bool Tokenizer::is_end_of_generation(int32_t id) const { return model_->end_of_generation.contains(id); }

std::vector<int32_t> Tokenizer::end_of_generation_ids() const {
  std::vector<int32_t> ids(model_->end_of_generation.begin(), model_->end_of_generation.end());
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::optional<int32_t> Tokenizer::token_id(std::string_view text) const {
  const auto it = model_->ids.find(text);
  if (it == model_->ids.end()) return std::nullopt;
  return it->second;
}

std::string_view Tokenizer::token_text(int32_t id) const {
  return model_->valid_id(id) ? std::string_view(model_->texts[id]) : std::string_view();
}

TokenKind Tokenizer::token_kind(int32_t id) const {
  return model_->valid_id(id) ? model_->kinds[id] : TokenKind::Unused;
}

std::string Tokenizer::describe() const { return model_->description; }

}  // namespace keel
