// Tokenizer::token_bytes and Tokenizer::decode: ids back to text.
#include "tokenizer/replace_all.h"
#include "tokenizer/byte_level_alphabet.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_model.h"
#include "core/utf8.h"

namespace keel {
namespace {

using detail::DecoderStyle;
using detail::TokenizerModel;

constexpr std::string_view kSentencePieceSpace = "\xE2\x96\x81";  // U+2581

// "<0x0A>" -> 0x0A; -1 when `text` is not a byte token.
int parse_byte_token(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  int value = 0;
  for (char c : text.substr(3, 2)) {
    value *= 16;
    if (c >= '0' && c <= '9') value += c - '0';
    else if (c >= 'A' && c <= 'F') value += c - 'A' + 10;
    else if (c >= 'a' && c <= 'f') value += c - 'a' + 10;
    else return -1;
  }
  return value;
}

std::string unescape_sentencepiece_spaces(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (size_t hit = text.find(kSentencePieceSpace); hit != std::string_view::npos;
       hit = text.find(kSentencePieceSpace, pos)) {
    out.append(text.substr(pos, hit - pos)).push_back(' ');
    pos = hit + kSentencePieceSpace.size();
  }
  out.append(text.substr(pos));
  return out;
}

bool is_special_kind(TokenKind kind) { return kind == TokenKind::Control || kind == TokenKind::Unknown; }

// The bytes of a token that is not special, in the model's decoder style.
std::string text_token_bytes(const TokenizerModel& model, int32_t id) {
  const std::string& text = model.texts[id];
  const TokenKind kind = model.kinds[id];
  if (kind == TokenKind::Byte) {
    const int byte = parse_byte_token(text);
    if (byte >= 0) return std::string(1, static_cast<char>(byte));
  }
  if (model.decoder == DecoderStyle::SentencePiece) return unescape_sentencepiece_spaces(text);
  // Added tokens are stored as their plain text, not in the byte alphabet.
  if (kind == TokenKind::UserDefined || kind == TokenKind::Control) return text;
  return byte_level::decode(text);
}

// transformers' clean_up_tokenization: drop spaces before punctuation and
// English contractions.
std::string clean_up_tokenization_spaces(std::string text) {
  static constexpr std::pair<std::string_view, std::string_view> kRules[] = {
      {" .", "."},     {" ?", "?"},     {" !", "!"},     {" ,", ","},     {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"},   {" 's", "'s"},   {" 've", "'ve"}, {" 're", "'re"},
  };
  for (const auto& [from, to] : kRules) replace_all(text, from, to);
  return text;
}

// Hugging Face ByteFallback: a run of <0xXX> tokens that is valid UTF-8
// becomes that text, otherwise one U+FFFD per byte.
void flush_byte_run(std::string& run, std::string& out) {
  if (run.empty()) return;
  if (utf8::is_valid(run)) {
    out.append(run);
  } else {
    for (size_t i = 0; i < run.size(); ++i) out.append(utf8::kReplacementUtf8);
  }
  run.clear();
}

std::string decode_sentencepiece(const TokenizerModel& model, std::span<const int32_t> ids, bool skip_special) {
  std::string out;
  std::string byte_run;
  for (int32_t id : ids) {
    if (!model.valid_id(id)) {
      flush_byte_run(byte_run, out);
      out.append(utf8::kReplacementUtf8);
      continue;
    }
    const TokenKind kind = model.kinds[id];
    if (kind == TokenKind::Byte && parse_byte_token(model.texts[id]) >= 0) {
      byte_run.push_back(static_cast<char>(parse_byte_token(model.texts[id])));
      continue;
    }
    if (skip_special && is_special_kind(kind)) continue;
    flush_byte_run(byte_run, out);
    out.append(unescape_sentencepiece_spaces(model.texts[id]));
  }
  flush_byte_run(byte_run, out);
  if (model.strip_leading_space && !out.empty() && out[0] == ' ') out.erase(0, 1);
  return out;
}

std::string decode_byte_level(const TokenizerModel& model, std::span<const int32_t> ids, bool skip_special) {
  std::string bytes;
  for (int32_t id : ids) {
    if (!model.valid_id(id)) {
      bytes.append(utf8::kReplacementUtf8);
      continue;
    }
    if (is_special_kind(model.kinds[id])) {
      if (!skip_special) bytes.append(model.texts[id]);
      continue;
    }
    bytes.append(text_token_bytes(model, id));
  }
  return utf8::sanitize(bytes);
}

}  // namespace

std::string Tokenizer::token_bytes(int32_t id) const {
  const TokenizerModel& model = *model_;
  if (!model.valid_id(id) || is_special_kind(model.kinds[id])) return {};
  return text_token_bytes(model, id);
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  const TokenizerModel& model = *model_;
  std::string text = model.decoder == DecoderStyle::SentencePiece ? decode_sentencepiece(model, ids, skip_special)
                                                                  : decode_byte_level(model, ids, skip_special);
  if (model.clean_up_spaces) text = clean_up_tokenization_spaces(std::move(text));
  return text;
}

Result<std::string> Tokenizer::decode_checked(std::span<const int32_t> ids, bool skip_special) const {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!model_->valid_id(ids[i])) {
      return Error{"cannot decode token id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
                   ": the vocabulary has ids 0.." + std::to_string(model_->size() - 1)};
    }
  }
  return decode(ids, skip_special);
}

}  // namespace keel
