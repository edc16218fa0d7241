// SentencePiece BPE encoding of one text fragment (Llama-2, Mistral).
//
// The fragment arrives with spaces already written as U+2581. It starts as
// one symbol per character; the adjacent pair whose concatenation is the
// vocabulary piece with the highest score merges first (leftmost on ties),
// until no pair is a piece. A resulting piece of type UNUSED is split back
// into the two halves it was made from; a character that is no piece
// becomes <0xXX> byte tokens (or <unk>). This is google/sentencepiece's
// bpe_model.cc and llama.cpp's SPM session.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace keel::detail {

struct TokenizerModel;

void encode_sentencepiece_bpe(const TokenizerModel& model, std::string_view escaped_text, std::vector<int32_t>& out);

}  // namespace keel::detail
