// Tokenizer::encode: added tokens first, then per text fragment the
// normalizer, the pre-tokenizer and the BPE model (the order of Hugging Face
// `tokenizers`, which llama.cpp follows too).
#include <string>

#include "tokenizer/byte_level_alphabet.h"
#include "tokenizer/replace_all.h"
#include "tokenizer/sentencepiece_bpe.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_model.h"
#include "tokenizer/unicode_nfc.h"
#include "core/utf8.h"

namespace keel {
namespace {

using detail::NormalizerStep;
using detail::PreTokenizerStep;
using detail::TokenizerModel;

constexpr std::string_view kSentencePieceSpace = "\xE2\x96\x81";  // U+2581

std::string normalize(const TokenizerModel& model, std::string_view fragment) {
  std::string text(fragment);
  for (const NormalizerStep& step : model.normalizer) {
    switch (step.kind) {
      case NormalizerStep::Kind::Nfc: text = to_nfc(text); break;
      case NormalizerStep::Kind::Prepend:
        if (!text.empty()) text.insert(0, step.pattern);
        break;
      case NormalizerStep::Kind::Replace: replace_all(text, step.pattern, step.replacement); break;
    }
  }
  return text;
}

// Splits before every occurrence of `marker` (Metaspace with split:true).
void split_before(const std::string& piece, std::string_view marker, std::vector<std::string>& out) {
  size_t start = 0;
  for (size_t hit = piece.find(marker, 1); hit != std::string::npos; hit = piece.find(marker, hit + 1)) {
    out.push_back(piece.substr(start, hit - start));
    start = hit;
  }
  out.push_back(piece.substr(start));
}

std::vector<std::string> pre_tokenize(const TokenizerModel& model, std::string text, bool first_fragment) {
  std::vector<std::string> pieces;
  pieces.push_back(std::move(text));
  std::vector<std::string_view> views;
  for (const PreTokenizerStep& step : model.pre_tokenizer) {
    std::vector<std::string> next;
    for (size_t index = 0; index < pieces.size(); ++index) {
      std::string piece = std::move(pieces[index]);
      if (step.kind == PreTokenizerStep::Kind::ByteLevel && step.add_prefix_space &&
          (piece.empty() || piece[0] != ' ')) {
        piece.insert(0, " ");
      }
      if (step.kind == PreTokenizerStep::Kind::Metaspace) {
        replace_all(piece, " ", step.replacement);
        const bool prepend = step.prepend_always || (step.prepend_first && first_fragment && index == 0);
        if (prepend && piece.compare(0, step.replacement.size(), step.replacement) != 0) {
          piece.insert(0, step.replacement);
        }
        if (step.split_at_replacement) {
          split_before(piece, step.replacement, next);
        } else {
          next.push_back(std::move(piece));
        }
        continue;
      }
      if (!step.regex) {
        next.push_back(std::move(piece));
        continue;
      }
      views.clear();
      step.regex->split(piece, views);
      for (std::string_view view : views) next.emplace_back(view);
    }
    pieces = std::move(next);
  }
  return pieces;
}

// One pre-token through a merge-list BPE model.
void encode_ranked_bpe(const TokenizerModel& model, std::string_view piece, std::vector<int32_t>& out) {
  const std::string word = model.byte_level ? byte_level::encode(piece) : std::string(piece);
  if (model.ignore_merges) {
    const auto it = model.ids.find(word);
    if (it != model.ids.end() && model.kinds[it->second] != TokenKind::Control) {
      out.push_back(it->second);
      return;
    }
  }
  std::vector<int32_t> symbols;
  symbols.reserve(word.size());
  bool previous_was_unknown = false;
  for (size_t pos = 0; pos < word.size();) {
    const size_t length = std::min(utf8::length_at(word, pos), word.size() - pos);
    const std::string_view character(word.data() + pos, length);
    pos += length;
    if (const auto it = model.ids.find(character); it != model.ids.end()) {
      symbols.push_back(it->second);
      previous_was_unknown = false;
      continue;
    }
    bool bytes_known = model.byte_fallback;
    for (char byte : character) bytes_known = bytes_known && model.byte_tokens[static_cast<uint8_t>(byte)] >= 0;
    if (bytes_known) {
      for (char byte : character) symbols.push_back(model.byte_tokens[static_cast<uint8_t>(byte)]);
      previous_was_unknown = false;
    } else if (model.unk_id) {
      if (!(model.fuse_unk && previous_was_unknown)) symbols.push_back(*model.unk_id);
      previous_was_unknown = true;
    }
  }
  model.merges.apply(symbols);
  out.insert(out.end(), symbols.begin(), symbols.end());
}

void encode_text_fragment(const TokenizerModel& model, std::string_view fragment, bool first_fragment,
                          bool after_token, std::vector<int32_t>& out) {
  if (model.merge_style == detail::MergeStyle::PieceScores) {
    // The dummy prefix goes in front of the text and, as in llama.cpp and
    // HF "legacy" Llama tokenizers, in front of text that follows a token.
    std::string text;
    if (model.add_space_prefix && after_token) text = " ";
    text.append(fragment);
    replace_all(text, " ", kSentencePieceSpace);
    detail::encode_sentencepiece_bpe(model, text, out);
    return;
  }
  for (const std::string& piece : pre_tokenize(model, normalize(model, fragment), first_fragment)) {
    if (!piece.empty()) encode_ranked_bpe(model, piece, out);
  }
}

}  // namespace

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos, bool parse_special) const {
  const TokenizerModel& model = *model_;
  const std::string valid_text = utf8::sanitize(text);
  std::vector<int32_t> ids;
  ids.reserve(valid_text.size() / 3 + 2);
  if (add_bos && model.add_bos && model.bos_id) ids.push_back(*model.bos_id);

  bool after_token = true;  // the start of the text counts as following a token
  bool first_fragment = true;
  for (const TextFragment& fragment : model.added_tokens.split(valid_text, parse_special)) {
    if (fragment.is_token()) {
      ids.push_back(fragment.token);
      after_token = true;
    } else {
      encode_text_fragment(model, fragment.text, first_fragment, after_token, ids);
      after_token = false;
    }
    first_fragment = false;
  }
  return ids;
}

}  // namespace keel
