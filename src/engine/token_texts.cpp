#include "engine/token_texts.h"

#include <algorithm>

namespace keel {

TokenTexts::TokenTexts(const Tokenizer& tokenizer, int32_t vocab) {
  offsets_.reserve(static_cast<size_t>(vocab) + 1);
  offsets_.push_back(0);
  for (int32_t id = 0; id < vocab; ++id) {
    const std::string piece = tokenizer.token_bytes(id);
    bytes_ += piece;
    longest_ = std::max(longest_, piece.size());
    offsets_.push_back(static_cast<uint32_t>(bytes_.size()));
  }
}

}  // namespace keel
