// IncrementalDetokenizer: token bytes accumulate in a buffer; everything up
// to an unfinished UTF-8 sequence at its end is returned (llama.cpp server's
// method). Invalid bytes in the middle become U+FFFD right away, exactly as
// a decode of the whole byte string would render them, so the deltas always
// concatenate to that decode.
#include "tokenizer/tokenizer.h"
#include "core/utf8.h"

namespace keel {

IncrementalDetokenizer::IncrementalDetokenizer(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

std::string IncrementalDetokenizer::push(int32_t id) {
  pending_ += tokenizer_.token_bytes(id);
  const size_t ready = pending_.size() - utf8::incomplete_tail_length(pending_);
  std::string delta = utf8::sanitize(std::string_view(pending_).substr(0, ready));
  pending_.erase(0, ready);
  return delta;
}

std::string IncrementalDetokenizer::flush() {
  std::string rest = utf8::sanitize(pending_);
  pending_.clear();
  return rest;
}

}  // namespace keel
