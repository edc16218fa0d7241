// Tokenizer::from_gguf: the tokenizer.ggml.* keys written by llama.cpp's
// converter. Model "gpt2" is byte-level BPE with a named pre-tokenizer;
// "llama" is SentencePiece BPE with piece scores.
#include "format/gguf.h"
#include "tokenizer/pretokenizer_presets.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_model.h"

namespace keel {
namespace {

using detail::TokenizerModel;

// GGUF token_type values (llama.h llama_token_type).
Result<TokenKind> kind_from_gguf_type(int64_t type, size_t id) {
  switch (type) {
    case 0:  // undefined: treated as normal, as llama.cpp does
    case 1: return TokenKind::Normal;
    case 2: return TokenKind::Unknown;
    case 3: return TokenKind::Control;
    case 4: return TokenKind::UserDefined;
    case 5: return TokenKind::Unused;
    case 6: return TokenKind::Byte;
    default:
      return Error{"tokenizer.ggml.token_type[" + std::to_string(id) + "] = " + std::to_string(type) +
                   " is not a token type (0..6)"};
  }
}

Status load_tokens(const GgufFile& file, TokenizerModel& model) {
  if (file.find("tokenizer.ggml.tokens") == nullptr) return Error{"GGUF has no tokenizer.ggml.tokens array"};
  KEEL_ASSIGN_OR_RETURN(const auto tokens, file.get_string_array("tokenizer.ggml.tokens"));
  if (tokens.empty()) return Error{"tokenizer.ggml.tokens is empty"};
  if (tokens.size() > static_cast<size_t>(INT32_MAX)) return Error{"tokenizer.ggml.tokens is too large"};
  model.texts.assign(tokens.begin(), tokens.end());
  model.kinds.assign(tokens.size(), TokenKind::Normal);
  if (file.find("tokenizer.ggml.token_type") != nullptr) {
    KEEL_ASSIGN_OR_RETURN(const auto types, file.get_int_array("tokenizer.ggml.token_type"));
    if (types.size() != tokens.size()) {
      return Error{"tokenizer.ggml.token_type has " + std::to_string(types.size()) + " entries but there are " +
                   std::to_string(tokens.size()) + " tokens"};
    }
    for (size_t id = 0; id < types.size(); ++id) {
      KEEL_ASSIGN_OR_RETURN(model.kinds[id], kind_from_gguf_type(types[id], id));
    }
  }
  return ok_status();
}

Result<std::optional<int32_t>> optional_token_id(const GgufFile& file, const TokenizerModel& model,
                                                 const std::string& key) {
  if (file.find(key) == nullptr) return std::optional<int32_t>();
  KEEL_ASSIGN_OR_RETURN(const uint64_t id, file.get_uint(key));
  if (id >= static_cast<uint64_t>(model.size())) {
    return Error{key + " = " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(model.size()) +
                 " tokens"};
  }
  return std::optional<int32_t>(static_cast<int32_t>(id));
}

Status load_byte_level_bpe(const GgufFile& file, TokenizerModel& model, bool& default_add_bos, bool& forbid_bos) {
  std::string pre_name = "default";
  if (file.find("tokenizer.ggml.pre") != nullptr) {
    KEEL_ASSIGN_OR_RETURN(const std::string_view pre, file.get_string("tokenizer.ggml.pre"));
    pre_name = std::string(pre);
  }
  KEEL_ASSIGN_OR_RETURN(const PreTokenizerPreset preset, pretokenizer_preset(pre_name));
  for (const std::string& regex : preset.regexes) {
    detail::PreTokenizerStep step;
    KEEL_ASSIGN_OR_RETURN(step.regex, RegexSplitter::compile(regex));
    model.pre_tokenizer.push_back(std::move(step));
  }
  model.byte_level = true;
  model.ignore_merges = preset.ignore_merges;
  model.decoder = detail::DecoderStyle::ByteLevel;
  default_add_bos = preset.add_bos;
  forbid_bos = preset.forbid_bos;

  if (file.find("tokenizer.ggml.merges") == nullptr) return Error{"GGUF gpt2 tokenizer has no tokenizer.ggml.merges"};
  KEEL_ASSIGN_OR_RETURN(const auto merges, file.get_string_array("tokenizer.ggml.merges"));
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string_view merge = merges[rank];
    // The separator is the first space after position 0 (a part may itself
    // be a lone space in some vocabularies).
    const size_t space = merge.find(' ', 1);
    if (space == std::string_view::npos) {
      return Error{"tokenizer.ggml.merges[" + std::to_string(rank) + "] = \"" + std::string(merge) +
                   "\" is not \"left right\""};
    }
    const std::string_view left = merge.substr(0, space);
    const std::string_view right = merge.substr(space + 1);
    const auto left_it = model.ids.find(left);
    const auto right_it = model.ids.find(right);
    const auto merged_it = model.ids.find(std::string(left) + std::string(right));
    if (left_it == model.ids.end() || right_it == model.ids.end() || merged_it == model.ids.end()) {
      return Error{"tokenizer.ggml.merges[" + std::to_string(rank) + "] = \"" + std::string(merge) +
                   "\" names a token that is not in the vocabulary"};
    }
    model.merges.add(left_it->second, right_it->second, merged_it->second);
  }
  model.description = "byte-level BPE (pre-tokenizer " + preset.name + ")";
  return ok_status();
}

Status load_sentencepiece_bpe(const GgufFile& file, TokenizerModel& model) {
  if (file.find("tokenizer.ggml.scores") == nullptr) return Error{"GGUF llama tokenizer has no tokenizer.ggml.scores"};
  KEEL_ASSIGN_OR_RETURN(model.scores, file.get_float_array("tokenizer.ggml.scores"));
  if (model.scores.size() != model.texts.size()) {
    return Error{"tokenizer.ggml.scores has " + std::to_string(model.scores.size()) + " entries but there are " +
                 std::to_string(model.texts.size()) + " tokens"};
  }
  model.merge_style = detail::MergeStyle::PieceScores;
  model.byte_fallback = true;
  model.add_space_prefix = true;
  if (file.find("tokenizer.ggml.add_space_prefix") != nullptr) {
    KEEL_ASSIGN_OR_RETURN(model.add_space_prefix, file.get_bool("tokenizer.ggml.add_space_prefix"));
  }
  model.decoder = detail::DecoderStyle::SentencePiece;
  model.strip_leading_space = model.add_space_prefix;
  model.description = "SentencePiece BPE";
  return ok_status();
}

}  // namespace

Result<Tokenizer> Tokenizer::from_gguf(const GgufFile& file) {
  auto model = std::make_shared<TokenizerModel>();
  if (file.find("tokenizer.ggml.model") == nullptr) return Error{"GGUF has no tokenizer.ggml.model"};
  KEEL_ASSIGN_OR_RETURN(const std::string_view kind, file.get_string("tokenizer.ggml.model"));
  const bool is_gpt2 = kind == "gpt2";
  const bool is_llama = kind == "llama";
  if (!is_gpt2 && !is_llama) {
    return Error{"unsupported tokenizer.ggml.model \"" + std::string(kind) +
                 "\" (supported: gpt2 = byte-level BPE, llama = SentencePiece BPE)"};
  }
  KEEL_TRY(load_tokens(file, *model));
  detail::index_vocabulary(*model);

  bool default_add_bos = is_llama;
  bool forbid_bos = false;
  if (is_gpt2) {
    KEEL_TRY(load_byte_level_bpe(file, *model, default_add_bos, forbid_bos));
  } else {
    KEEL_TRY(load_sentencepiece_bpe(file, *model));
  }

  KEEL_ASSIGN_OR_RETURN(model->bos_id, optional_token_id(file, *model, "tokenizer.ggml.bos_token_id"));
  KEEL_ASSIGN_OR_RETURN(model->eos_id, optional_token_id(file, *model, "tokenizer.ggml.eos_token_id"));
  KEEL_ASSIGN_OR_RETURN(model->unk_id, optional_token_id(file, *model, "tokenizer.ggml.unknown_token_id"));
  if (is_llama) {  // SentencePiece defaults: <unk> 0, <s> 1, </s> 2
    if (!model->unk_id && model->size() > 0) model->unk_id = 0;
    if (!model->bos_id && model->size() > 1) model->bos_id = 1;
    if (!model->eos_id && model->size() > 2) model->eos_id = 2;
  }
  model->add_bos = default_add_bos;
  if (file.find("tokenizer.ggml.add_bos_token") != nullptr) {
    KEEL_ASSIGN_OR_RETURN(model->add_bos, file.get_bool("tokenizer.ggml.add_bos_token"));
  }
  if (forbid_bos) {
    model->bos_id.reset();
    model->add_bos = false;
  }

  // Control, user-defined and unknown tokens are matched in the raw text
  // (llama.cpp's tokenizer_st_partition); only user-defined ones when the
  // caller does not parse specials.
  for (int32_t id = 0; id < model->size(); ++id) {
    const TokenKind token_kind = model->kinds[id];
    if (token_kind != TokenKind::Control && token_kind != TokenKind::UserDefined && token_kind != TokenKind::Unknown) {
      continue;
    }
    AddedToken token;
    token.content = model->texts[id];
    token.id = id;
    token.special = token_kind != TokenKind::UserDefined;
    model->added_tokens.add(std::move(token));
  }

  detail::collect_end_of_generation(*model);
  for (const char* key : {"tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id", "tokenizer.ggml.fim_pad_token_id",
                          "tokenizer.ggml.fim_rep_token_id", "tokenizer.ggml.fim_sep_token_id"}) {
    KEEL_ASSIGN_OR_RETURN(const auto id, optional_token_id(file, *model, key));
    if (id) model->end_of_generation.insert(*id);
  }
  model->description += ", " + std::to_string(model->size()) + " tokens";
  return Tokenizer(std::move(model));
}

}  // namespace keel
