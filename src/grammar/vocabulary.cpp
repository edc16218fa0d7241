#include "grammar/vocabulary.h"

#include <algorithm>

namespace keel::grammar {

Vocabulary::Vocabulary(const std::vector<std::string>& token_bytes) {
  offsets_.reserve(token_bytes.size() + 1);
  offsets_.push_back(0);
  for (const std::string& piece : token_bytes) {
    bytes_ += piece;
    offsets_.push_back(static_cast<uint32_t>(bytes_.size()));
    longest_ = std::max(longest_, piece.size());
  }
  for (int32_t id = 0; id < size(); ++id)
    if (!bytes(id).empty()) sorted_.push_back(id);
  std::sort(sorted_.begin(), sorted_.end(), [&](int32_t a, int32_t b) {
    const std::string_view x = bytes(a), y = bytes(b);
    return x != y ? x < y : a < b;
  });
  common_prefix_.assign(sorted_.size(), 0);
  for (size_t i = 1; i < sorted_.size(); ++i) {
    const std::string_view x = bytes(sorted_[i - 1]), y = bytes(sorted_[i]);
    const auto mismatch = std::mismatch(x.begin(), x.end(), y.begin(), y.end());
    common_prefix_[i] = static_cast<uint32_t>(mismatch.first - x.begin());
  }
}

size_t Vocabulary::subtree_end(size_t i, size_t length) const {
  const std::string_view prefix = bytes(sorted_[i]).substr(0, length);
  const auto after = std::partition_point(sorted_.begin() + static_cast<std::ptrdiff_t>(i), sorted_.end(),
                                          [&](int32_t id) { return bytes(id).substr(0, length) == prefix; });
  return static_cast<size_t>(after - sorted_.begin());
}

}  // namespace keel::grammar
