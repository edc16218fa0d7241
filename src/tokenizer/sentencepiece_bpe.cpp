#include "tokenizer/sentencepiece_bpe.h"

#include <queue>
#include <unordered_map>

#include "tokenizer/tokenizer_model.h"
#include "core/utf8.h"

namespace keel::detail {
namespace {

struct Symbol {
  size_t start;
  size_t length;  // 0 once merged into its left neighbour
  int32_t prev;
  int32_t next;
};

struct Candidate {
  float score;
  int32_t left;
  int32_t right;
  size_t length;  // of the merged text; a mismatch later means the candidate is stale
  bool operator<(const Candidate& other) const {  // max-heap: higher score, then leftmost
    return score != other.score ? score < other.score : left > other.left;
  }
};

class Session {
 public:
  Session(const TokenizerModel& model, std::string_view text) : model_(model), text_(text) {}

  void run(std::vector<int32_t>& out) {
    for (size_t pos = 0; pos < text_.size();) {
      const size_t length = std::min(utf8::length_at(text_, pos), text_.size() - pos);
      const auto index = static_cast<int32_t>(symbols_.size());
      symbols_.push_back(Symbol{pos, length, index - 1, -1});
      if (index > 0) symbols_[index - 1].next = index;
      pos += length;
    }
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols_.size()); ++i) consider_pair(i, i + 1);

    while (!queue_.empty()) {
      const Candidate top = queue_.top();
      queue_.pop();
      Symbol& left = symbols_[top.left];
      Symbol& right = symbols_[top.right];
      if (left.length == 0 || right.length == 0 || left.length + right.length != top.length) continue;
      left.length += right.length;
      right.length = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = top.left;
      consider_pair(left.prev, top.left);
      consider_pair(top.left, left.next);
    }

    for (int32_t i = 0; i >= 0 && !symbols_.empty(); i = symbols_[i].next) {
      emit(symbols_[i].start, symbols_[i].length, out);
    }
  }

 private:
  // Pieces that BPE may produce: SentencePiece keeps control, unknown and
  // byte pieces out of the merge vocabulary.
  std::optional<int32_t> mergeable_piece(std::string_view piece) const {
    const auto it = model_.ids.find(piece);
    if (it == model_.ids.end()) return std::nullopt;
    const TokenKind kind = model_.kinds[it->second];
    if (kind != TokenKind::Normal && kind != TokenKind::UserDefined && kind != TokenKind::Unused) return std::nullopt;
    return it->second;
  }

  void consider_pair(int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const size_t start = symbols_[left].start;
    const size_t length = symbols_[left].length + symbols_[right].length;
    const std::string_view piece = text_.substr(start, length);
    const auto id = mergeable_piece(piece);
    if (!id) return;
    queue_.push(Candidate{model_.scores[*id], left, right, length});
    // Remember the halves so an UNUSED result can be split back.
    halves_.try_emplace(piece, std::make_pair(symbols_[left].length, symbols_[right].length));
  }

  void emit(size_t start, size_t length, std::vector<int32_t>& out) const {
    const std::string_view piece = text_.substr(start, length);
    if (const auto id = mergeable_piece(piece); id && model_.kinds[*id] != TokenKind::Unused) {
      out.push_back(*id);
      return;
    }
    if (const auto it = halves_.find(piece); it != halves_.end()) {
      emit(start, it->second.first, out);
      emit(start + it->second.first, it->second.second, out);
      return;
    }
    emit_unknown(piece, out);
  }

  void emit_unknown(std::string_view piece, std::vector<int32_t>& out) const {
    bool all_bytes_known = model_.byte_fallback;
    for (char byte : piece) all_bytes_known = all_bytes_known && model_.byte_tokens[static_cast<uint8_t>(byte)] >= 0;
    if (all_bytes_known) {
      for (char byte : piece) out.push_back(model_.byte_tokens[static_cast<uint8_t>(byte)]);
    } else if (model_.unk_id) {
      out.push_back(*model_.unk_id);
    }
  }

  const TokenizerModel& model_;
  std::string_view text_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Candidate> queue_;
  std::unordered_map<std::string_view, std::pair<size_t, size_t>> halves_;
};

}  // namespace

void encode_sentencepiece_bpe(const TokenizerModel& model, std::string_view escaped_text, std::vector<int32_t>& out) {
  if (escaped_text.empty()) return;
  Session(model, escaped_text).run(out);
}

}  // namespace keel::detail
