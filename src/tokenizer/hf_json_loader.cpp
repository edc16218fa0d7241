// Tokenizer::from_hf_json: a Hugging Face tokenizer.json with a BPE model
// (byte-level like GPT-2 / Llama-3 / Qwen / GLM-4, or SentencePiece-converted
// like Llama-2 with byte_fallback), plus tokenizer_config.json for the
// BOS/EOS policy. Anything the encoder would not reproduce exactly is
// refused with an Error that names it, rather than tokenized differently.
#include <nlohmann/json.hpp>

#include "tokenizer/pretokenizer_presets.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_model.h"
#include "tokenizer/unicode_nfc.h"

namespace keel {
namespace {

using detail::NormalizerStep;
using detail::PreTokenizerStep;
using detail::TokenizerModel;
using nlohmann::json;

// Vocabularies of real models stay far below this; it bounds the id space
// a hostile file can make us allocate.
constexpr int64_t kMaxTokenId = 16 * 1024 * 1024;

std::string type_of(const json& node) { return node.is_object() ? node.value("type", std::string("?")) : "?"; }

// Flattens {"type":"Sequence", key:[...]} into its members.
std::vector<const json*> sequence_members(const json& node, const char* list_key) {
  std::vector<const json*> members;
  if (node.is_null()) return members;
  if (type_of(node) == "Sequence" && node.contains(list_key) && node[list_key].is_array()) {
    for (const json& member : node[list_key]) {
      for (const json* inner : sequence_members(member, list_key)) members.push_back(inner);
    }
  } else {
    members.push_back(&node);
  }
  return members;
}

// A Split pattern {"Regex": "..."} or {"String": "..."} as a regex.
Result<std::string> split_pattern(const json& pattern) {
  if (pattern.is_object() && pattern.contains("Regex") && pattern["Regex"].is_string()) {
    return pattern["Regex"].get<std::string>();
  }
  if (pattern.is_object() && pattern.contains("String") && pattern["String"].is_string()) {
    return "\\Q" + pattern["String"].get<std::string>() + "\\E";
  }
  return Error{"pre_tokenizer Split: \"pattern\" must be {\"Regex\": ...} or {\"String\": ...}"};
}

Status load_vocab(const json& bpe, TokenizerModel& model) {
  if (!bpe.contains("vocab") || !bpe["vocab"].is_object()) return Error{"model.vocab must be an object"};
  int64_t largest = -1;
  for (const auto& [text, id] : bpe["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > kMaxTokenId) {
      return Error{"model.vocab[\"" + text + "\"] must be a token id (0.." + std::to_string(kMaxTokenId) + ")"};
    }
    largest = std::max(largest, id.get<int64_t>());
  }
  model.texts.resize(static_cast<size_t>(largest + 1));
  model.kinds.assign(model.texts.size(), TokenKind::Unused);  // ids no entry names stay Unused
  for (const auto& [text, id] : bpe["vocab"].items()) {
    model.texts[id.get<size_t>()] = text;
    model.kinds[id.get<size_t>()] = TokenKind::Normal;
  }
  return ok_status();
}

Status load_added_tokens(const json& root, TokenizerModel& model) {
  if (!root.contains("added_tokens") || root["added_tokens"].is_null()) return ok_status();
  if (!root["added_tokens"].is_array()) return Error{"added_tokens must be an array"};
  for (const json& entry : root["added_tokens"]) {
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_integer() ||
        !entry.contains("content") || !entry["content"].is_string()) {
      return Error{"added_tokens entries need an integer \"id\" and a string \"content\""};
    }
    const int64_t id = entry["id"].get<int64_t>();
    if (id < 0 || id > kMaxTokenId) return Error{"added token id " + std::to_string(id) + " is out of range"};
    AddedToken token;
    token.id = static_cast<int32_t>(id);
    token.content = entry["content"].get<std::string>();
    auto flag = [&](const char* key) { return entry.contains(key) && entry[key].is_boolean() && entry[key].get<bool>(); };
    token.special = flag("special");
    token.lstrip = flag("lstrip");
    token.rstrip = flag("rstrip");
    token.single_word = flag("single_word");
    if (static_cast<size_t>(id) >= model.texts.size()) {
      model.texts.resize(static_cast<size_t>(id) + 1);
      model.kinds.resize(static_cast<size_t>(id) + 1, TokenKind::Unused);
    }
    model.texts[token.id] = token.content;
    model.kinds[token.id] = token.special ? TokenKind::Control : TokenKind::UserDefined;
    model.added_tokens.add(std::move(token));
  }
  return ok_status();
}

Status load_merges(const json& bpe, TokenizerModel& model) {
  if (!bpe.contains("merges") || bpe["merges"].is_null()) return ok_status();
  if (!bpe["merges"].is_array()) return Error{"model.merges must be an array"};
  size_t rank = 0;
  for (const json& merge : bpe["merges"]) {
    std::string left;
    std::string right;
    if (merge.is_string()) {  // legacy "left right"
      const std::string line = merge.get<std::string>();
      if (line.rfind("#version", 0) == 0) continue;
      const size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
        return Error{"model.merges[" + std::to_string(rank) + "] = \"" + line + "\" is not \"left right\""};
      }
      left = line.substr(0, space);
      right = line.substr(space + 1);
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
      left = merge[0].get<std::string>();
      right = merge[1].get<std::string>();
    } else {
      return Error{"model.merges[" + std::to_string(rank) + "] must be \"left right\" or [left, right]"};
    }
    for (const std::string* part : {&left, &right}) {
      if (!model.ids.contains(*part)) {
        return Error{"model.merges[" + std::to_string(rank) + "]: token \"" + *part + "\" is not in the vocabulary"};
      }
    }
    const auto merged = model.ids.find(left + right);
    if (merged == model.ids.end()) {
      return Error{"model.merges[" + std::to_string(rank) + "]: merged token \"" + left + right +
                   "\" is not in the vocabulary"};
    }
    model.merges.add(model.ids.find(left)->second, model.ids.find(right)->second, merged->second);
    ++rank;
  }
  return ok_status();
}

Status load_normalizer(const json& root, TokenizerModel& model) {
  if (!root.contains("normalizer")) return ok_status();
  for (const json* node : sequence_members(root["normalizer"], "normalizers")) {
    const std::string type = type_of(*node);
    NormalizerStep step;
    if (type == "NFC") {
      step.kind = NormalizerStep::Kind::Nfc;
    } else if (type == "Prepend" && node->contains("prepend") && (*node)["prepend"].is_string()) {
      step.kind = NormalizerStep::Kind::Prepend;
      step.pattern = (*node)["prepend"].get<std::string>();
    } else if (type == "Replace" && node->contains("pattern") && (*node)["pattern"].contains("String") &&
               node->contains("content")) {
      step.kind = NormalizerStep::Kind::Replace;
      step.pattern = (*node)["pattern"]["String"].get<std::string>();
      step.replacement = (*node)["content"].get<std::string>();
    } else {
      return Error{"normalizer \"" + type + "\" is not supported (supported: NFC, Prepend, Replace with a String)"};
    }
    model.normalizer.push_back(std::move(step));
  }
  return ok_status();
}

Status load_pre_tokenizer(const json& root, TokenizerModel& model) {
  if (!root.contains("pre_tokenizer")) return ok_status();
  for (const json* node : sequence_members(root["pre_tokenizer"], "pretokenizers")) {
    const std::string type = type_of(*node);
    PreTokenizerStep step;
    if (type == "Split") {
      const std::string behavior = node->value("behavior", std::string("Isolated"));
      if (behavior != "Isolated" || node->value("invert", false)) {
        return Error{"pre_tokenizer Split with behavior \"" + behavior +
                     "\"/invert is not supported (only Isolated, invert false)"};
      }
      if (!node->contains("pattern")) return Error{"pre_tokenizer Split has no \"pattern\""};
      KEEL_ASSIGN_OR_RETURN(const std::string pattern, split_pattern((*node)["pattern"]));
      KEEL_ASSIGN_OR_RETURN(step.regex, RegexSplitter::compile(pattern));
    } else if (type == "ByteLevel") {
      step.kind = PreTokenizerStep::Kind::ByteLevel;
      step.add_prefix_space = node->value("add_prefix_space", false);
      if (node->value("use_regex", true)) {
        KEEL_ASSIGN_OR_RETURN(step.regex, RegexSplitter::compile(gpt2_pretokenizer_pattern()));
      }
      model.byte_level = true;
    } else if (type == "Metaspace") {
      step.kind = PreTokenizerStep::Kind::Metaspace;
      step.replacement = node->value("replacement", std::string("\xE2\x96\x81"));
      const std::string scheme =
          node->value("prepend_scheme", std::string(node->value("add_prefix_space", true) ? "always" : "never"));
      step.prepend_always = scheme == "always";
      step.prepend_first = scheme == "first";
      step.split_at_replacement = node->value("split", true);
    } else {
      return Error{"pre_tokenizer \"" + type + "\" is not supported (supported: Split, ByteLevel, Metaspace)"};
    }
    model.pre_tokenizer.push_back(std::move(step));
  }
  return ok_status();
}

void load_decoder(const json& root, TokenizerModel& model) {
  model.decoder = model.byte_level ? detail::DecoderStyle::ByteLevel : detail::DecoderStyle::SentencePiece;
  if (!root.contains("decoder")) return;
  for (const json* node : sequence_members(root["decoder"], "decoders")) {
    const std::string type = type_of(*node);
    if (type == "ByteLevel") model.decoder = detail::DecoderStyle::ByteLevel;
    if (type == "ByteFallback" || type == "Metaspace") model.decoder = detail::DecoderStyle::SentencePiece;
    if (type == "Strip" && node->value("start", 0) > 0) model.strip_leading_space = true;
    if (type == "Metaspace" && node->value("prepend_scheme", std::string("always")) != "never") {
      model.strip_leading_space = true;
    }
  }
}

// BOS from a TemplateProcessing post-processor whose single-sequence template
// starts with a special token ("<|begin_of_text|> $A").
std::optional<int32_t> template_bos(const json& root) {
  if (!root.contains("post_processor")) return std::nullopt;
  for (const json* node : sequence_members(root["post_processor"], "processors")) {
    if (type_of(*node) != "TemplateProcessing" || !node->contains("single")) continue;
    const json& single = (*node)["single"];
    if (!single.is_array() || single.empty() || !single[0].contains("SpecialToken")) continue;
    const std::string name = single[0]["SpecialToken"].value("id", std::string());
    const json& specials = node->value("special_tokens", json::object());
    if (specials.contains(name) && specials[name].contains("ids") && specials[name]["ids"].is_array() &&
        !specials[name]["ids"].empty() && specials[name]["ids"][0].is_number_integer()) {
      return specials[name]["ids"][0].get<int32_t>();
    }
  }
  return std::nullopt;
}

// tokenizer_config.json names tokens as "text" or {"content": "text", ...}.
std::optional<int32_t> config_token(const json& config, const char* key, const TokenizerModel& model) {
  if (!config.contains(key)) return std::nullopt;
  const json& node = config[key];
  std::string text;
  if (node.is_string()) text = node.get<std::string>();
  else if (node.is_object() && node.contains("content") && node["content"].is_string()) text = node["content"];
  else return std::nullopt;
  const auto it = model.ids.find(text);
  if (it == model.ids.end()) return std::nullopt;
  return it->second;
}

Status load_special_policy(const json& root, const json& config, TokenizerModel& model) {
  const std::optional<int32_t> from_template = template_bos(root);
  model.bos_id = config_token(config, "bos_token", model);
  if (!model.bos_id) model.bos_id = from_template;
  model.eos_id = config_token(config, "eos_token", model);
  model.add_bos = from_template.has_value();
  if (config.contains("add_bos_token") && config["add_bos_token"].is_boolean()) {
    model.add_bos = config["add_bos_token"].get<bool>();
  }
  if (config.contains("clean_up_tokenization_spaces") && config["clean_up_tokenization_spaces"].is_boolean()) {
    model.clean_up_spaces = config["clean_up_tokenization_spaces"].get<bool>();
  }
  if (model.bos_id && !model.valid_id(*model.bos_id)) return Error{"the BOS token id is outside the vocabulary"};
  return ok_status();
}


Status load_model(const json& root, TokenizerModel& model) {
  if (!root.is_object()) return Error{"tokenizer.json must be a JSON object"};
  if (!root.contains("model") || !root["model"].is_object()) return Error{"tokenizer.json has no \"model\" object"};
  const json& bpe = root["model"];
  const std::string type = bpe.value("type", std::string("BPE"));
  if (type != "BPE") return Error{"model type \"" + type + "\" is not supported (only BPE)"};
  KEEL_TRY(load_vocab(bpe, model));
  KEEL_TRY(load_added_tokens(root, model));
  detail::index_vocabulary(model);
  model.byte_fallback = bpe.value("byte_fallback", false);
  model.ignore_merges = bpe.value("ignore_merges", false);
  model.fuse_unk = bpe.value("fuse_unk", false);
  if (bpe.contains("unk_token") && bpe["unk_token"].is_string()) {
    const auto it = model.ids.find(bpe["unk_token"].get<std::string>());
    if (it != model.ids.end()) {
      model.unk_id = it->second;
      if (model.kinds[it->second] == TokenKind::Normal) model.kinds[it->second] = TokenKind::Unknown;
    }
  }
  if (model.byte_fallback) {
    for (int32_t id : model.byte_tokens) {
      if (id >= 0 && model.kinds[id] == TokenKind::Normal) model.kinds[id] = TokenKind::Byte;
    }
  }
  KEEL_TRY(load_merges(bpe, model));
  KEEL_TRY(load_normalizer(root, model));
  KEEL_TRY(load_pre_tokenizer(root, model));
  load_decoder(root, model);
  return ok_status();
}

}  // namespace

Result<Tokenizer> Tokenizer::from_hf_json(std::string_view tokenizer_json, std::string_view tokenizer_config_json) {
  const json root = json::parse(tokenizer_json, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Error{"tokenizer.json is not valid JSON"};
  json config = json::object();
  if (!tokenizer_config_json.empty()) {
    config = json::parse(tokenizer_config_json, nullptr, /*allow_exceptions=*/false);
    if (config.is_discarded() || !config.is_object()) return Error{"tokenizer_config.json is not a JSON object"};
  }
  auto model = std::make_shared<TokenizerModel>();
  try {
    KEEL_TRY(load_model(root, *model));
    KEEL_TRY(load_special_policy(root, config, *model));
  } catch (const json::exception& error) {
    // A field of an unexpected type that the explicit checks did not name.
    return Error{std::string("tokenizer.json has a field of the wrong type: ") + error.what()};
  }
  detail::collect_end_of_generation(*model);
  model->description = std::string(model->byte_level ? "byte-level BPE" : "BPE") + " (tokenizer.json), " +
                       std::to_string(model->size()) + " tokens";
  return Tokenizer(std::move(model));
}

}  // namespace keel
