#include "convert/tokenizer_metadata.h"

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

namespace keel {
namespace {

enum TokenType : int32_t { kNormal = 1, kControl = 3, kUserDefined = 4, kUnused = 5 };

Result<nlohmann::json> read_json(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Error{"cannot read " + path.string()};
  std::ostringstream text;
  text << file.rdbuf();
  auto parsed = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Error{path.string() + " is not valid JSON"};
  return parsed;
}

// A token in tokenizer_config.json is a string or an AddedToken object.
std::optional<std::string> token_text(const nlohmann::json& config, const char* key) {
  if (!config.contains(key)) return std::nullopt;
  const auto& value = config[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string())
    return value["content"].get<std::string>();
  return std::nullopt;
}

bool flag(const nlohmann::json& config, const char* key) {
  return config.contains(key) && config[key].is_boolean() && config[key].get<bool>();
}

// tokenizers >= 0.20 saves merges as ["a", "b"] pairs, older versions as "a b".
Result<std::vector<std::string>> merges_of(const nlohmann::json& model) {
  std::vector<std::string> merges;
  if (!model.contains("merges")) return merges;
  for (const auto& merge : model["merges"]) {
    if (merge.is_string()) {
      merges.push_back(merge.get<std::string>());
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
      merges.push_back(merge[0].get<std::string>() + " " + merge[1].get<std::string>());
    } else {
      return Error{"tokenizer.json: a merge is neither \"a b\" nor [\"a\", \"b\"]"};
    }
  }
  return merges;
}

// The chat template: a string, or a list of {name, template} of which keel
// takes "default".
std::optional<std::string> chat_template_of(const nlohmann::json& config) {
  if (!config.contains("chat_template")) return std::nullopt;
  const auto& value = config["chat_template"];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array())
    for (const auto& entry : value)
      if (entry.value("name", "") == "default" && entry.contains("template") && entry["template"].is_string())
        return entry["template"].get<std::string>();
  return std::nullopt;
}

}  // namespace

Status add_tokenizer_metadata(const std::filesystem::path& hf_dir, Family family, int64_t vocab_size,
                              GgufWriter& writer) {
  KEEL_ASSIGN_OR_RETURN(const nlohmann::json tokenizer, read_json(hf_dir / "tokenizer.json"));
  KEEL_ASSIGN_OR_RETURN(const nlohmann::json config, read_json(hf_dir / "tokenizer_config.json"));
  if (!tokenizer.contains("model") || tokenizer["model"].value("type", "") != "BPE" ||
      !tokenizer["model"].contains("vocab") || !tokenizer["model"]["vocab"].is_object())
    return Error{"tokenizer.json: keel converts byte-level BPE tokenizers only"};

  std::map<int64_t, std::pair<std::string, TokenType>> by_id;
  for (const auto& [text, id] : tokenizer["model"]["vocab"].items())
    if (id.is_number_integer()) by_id[id.get<int64_t>()] = {text, kNormal};
  std::map<std::string, int64_t> ids_of_added;
  if (tokenizer.contains("added_tokens")) {
    for (const auto& added : tokenizer["added_tokens"]) {
      const auto id = added.value("id", int64_t{-1});
      const auto text = added.value("content", std::string());
      by_id[id] = {text, added.value("special", false) ? kControl : kUserDefined};
      ids_of_added[text] = id;
    }
  }
  if (!by_id.empty() && by_id.rbegin()->first >= vocab_size)
    return Error{"tokenizer has id " + std::to_string(by_id.rbegin()->first) + " but the model has " +
                 std::to_string(vocab_size) + " embedding rows"};

  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  for (int64_t id = 0; id < vocab_size; ++id) {
    const auto it = by_id.find(id);
    tokens.push_back(it != by_id.end() ? it->second.first : "[PAD" + std::to_string(id) + "]");
    types.push_back(it != by_id.end() ? it->second.second : kUnused);
  }
  KEEL_ASSIGN_OR_RETURN(const std::vector<std::string> merges, merges_of(tokenizer["model"]));

  writer.add_string("tokenizer.ggml.model", "gpt2");
  writer.add_string("tokenizer.ggml.pre", family == Family::kGlm4 ? "glm4" : "qwen2");
  writer.add_string_array("tokenizer.ggml.tokens", tokens);
  writer.add_int32_array("tokenizer.ggml.token_type", types);
  writer.add_string_array("tokenizer.ggml.merges", merges);

  auto id_of = [&](const std::optional<std::string>& text) -> std::optional<uint32_t> {
    if (!text) return std::nullopt;
    const auto it = ids_of_added.find(*text);
    if (it != ids_of_added.end()) return static_cast<uint32_t>(it->second);
    const auto& vocab = tokenizer["model"]["vocab"];
    if (vocab.contains(*text)) return vocab[*text].get<uint32_t>();
    return std::nullopt;
  };
  std::optional<uint32_t> eos = id_of(token_text(config, "eos_token"));
  std::optional<uint32_t> pad = id_of(token_text(config, "pad_token"));
  std::optional<uint32_t> eot, unknown = id_of(token_text(config, "unk_token"));
  std::optional<uint32_t> bos = id_of(token_text(config, "bos_token"));
  if (family == Family::kGlm4) {
    // llama.cpp's Glm4 converter pins these: <|endoftext|> is eos, unk and
    // bos, and <|user|> (the start of the next turn) ends a turn.
    const auto end_of_text = id_of(std::string("<|endoftext|>"));
    eos = unknown = bos = end_of_text;
    eot = id_of(std::string("<|user|>"));
  }
  if (eos) writer.add_uint32("tokenizer.ggml.eos_token_id", *eos);
  if (pad) writer.add_uint32("tokenizer.ggml.padding_token_id", *pad);
  if (eot) writer.add_uint32("tokenizer.ggml.eot_token_id", *eot);
  if (unknown) writer.add_uint32("tokenizer.ggml.unknown_token_id", *unknown);
  if (bos) writer.add_uint32("tokenizer.ggml.bos_token_id", *bos);
  writer.add_bool("tokenizer.ggml.add_bos_token", flag(config, "add_bos_token"));
  writer.add_bool("tokenizer.ggml.add_eos_token", flag(config, "add_eos_token"));
  if (const auto chat_template = chat_template_of(config))
    writer.add_string("tokenizer.chat_template", *chat_template);
  return ok_status();
}

}  // namespace keel
