#include "tokenizer/bpe_merges.h"

#include <queue>

namespace keel {

void BpeMerges::add(int32_t left, int32_t right, int32_t merged) {
  rules_.try_emplace(key(left, right), Rule{static_cast<int32_t>(rules_.size()), merged});
}

std::optional<BpeMerges::Rule> BpeMerges::find(int32_t left, int32_t right) const {
  const auto it = rules_.find(key(left, right));
  if (it == rules_.end()) return std::nullopt;
  return it->second;
}

void BpeMerges::apply(std::vector<int32_t>& symbols) const {
  if (symbols.size() < 2) return;

  struct Node {
    int32_t id;
    int32_t prev;
    int32_t next;
    bool alive;
  };
  struct Candidate {
    int32_t rank;
    int32_t left;  // index of the left node; nodes keep text order, so lower = further left
    int32_t merged;
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : left > other.left;
    }
  };

  const auto count = static_cast<int32_t>(symbols.size());
  std::vector<Node> nodes(symbols.size());
  for (int32_t i = 0; i < count; ++i) {
    nodes[i] = Node{symbols[i], i - 1, i + 1 < count ? i + 1 : -1, true};
  }

  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto push_pair = [&](int32_t left) {
    if (left < 0 || nodes[left].next < 0) return;
    if (auto rule = find(nodes[left].id, nodes[nodes[left].next].id)) {
      queue.push(Candidate{rule->rank, left, rule->merged});
    }
  };
  for (int32_t i = 0; i + 1 < count; ++i) push_pair(i);

  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Node& left = nodes[top.left];
    // Skip candidates made stale by an earlier merge on either side.
    if (!left.alive || left.next < 0) continue;
    Node& right = nodes[left.next];
    const auto current = find(left.id, right.id);
    if (!current || current->merged != top.merged) continue;

    left.id = top.merged;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) nodes[right.next].prev = top.left;
    push_pair(left.prev);
    push_pair(top.left);
  }

  symbols.clear();
  for (int32_t i = 0; i >= 0; i = nodes[i].next) symbols.push_back(nodes[i].id);
}

}  // namespace keel
