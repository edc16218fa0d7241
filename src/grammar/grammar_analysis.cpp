#include "grammar/grammar_analysis.h"

#include <algorithm>

namespace keel::grammar {
namespace {

// Per-alternative walks: calls `visit(position)` for every element of the
// grammar, alternative by alternative, last element first.
template <class Visit>
void for_each_position_backwards(const Grammar& grammar, Visit visit) {
  for (const Rule& rule : grammar.rules)
    for (const int32_t start : rule.alternatives) {
      int32_t end = start;
      while (grammar.elements[static_cast<size_t>(end)].kind != ElementKind::kEnd) ++end;
      for (int32_t p = end; p >= start; --p) visit(p);
    }
}

}  // namespace

GrammarAnalysis::GrammarAnalysis(const Grammar& g)
    : grammar(g),
      rule_nullable(g.rules.size(), 0),
      rest_nullable(g.elements.size(), 0),
      first(g.elements.size()),
      rule_of(g.elements.size(), 0),
      follow(g.rules.size()),
      follow_known(g.rules.size(), 1) {
  const auto& elements = g.elements;
  for_each_position_backwards(g, [&](int32_t p) {
    const Element& e = elements[static_cast<size_t>(p)];
    rule_of[static_cast<size_t>(p)] = e.kind == ElementKind::kEnd ? e.value : rule_of[static_cast<size_t>(p) + 1];
  });

  // Nullable and first sets: iterate to the fixed point (each pass can only add).
  bool changed = true;
  while (changed) {
    changed = false;
    for_each_position_backwards(g, [&](int32_t p) {
      const auto i = static_cast<size_t>(p);
      const Element& e = elements[i];
      uint8_t nullable = 1;
      ByteSet set;
      if (e.kind == ElementKind::kBytes) {
        nullable = 0;
        set = g.byte_sets[static_cast<size_t>(e.value)];
      } else if (e.kind == ElementKind::kRule) {
        const auto r = static_cast<size_t>(e.value);
        for (const int32_t alt : g.rules[r].alternatives) set.add_all(first[static_cast<size_t>(alt)]);
        nullable = rule_nullable[r] && rest_nullable[i + 1];
        if (rule_nullable[r]) set.add_all(first[i + 1]);
      }
      if (nullable != rest_nullable[i] || !(set == first[i])) {
        rest_nullable[i] = nullable;
        first[i] = set;
        changed = true;
      }
    });
    for (size_t r = 0; r < g.rules.size(); ++r)
      for (const int32_t alt : g.rules[r].alternatives)
        if (rest_nullable[static_cast<size_t>(alt)] && !rule_nullable[r]) {
          rule_nullable[r] = 1;
          changed = true;
        }
  }

  // Follow positions: direct continuations, then closed over tail calls.
  std::vector<std::vector<int32_t>> direct(g.rules.size()), tail_callers(g.rules.size());
  for (size_t p = 0; p < elements.size(); ++p) {
    if (elements[p].kind != ElementKind::kRule) continue;
    const auto callee = static_cast<size_t>(elements[p].value);
    if (tail_call(static_cast<int32_t>(p)))
      tail_callers[callee].push_back(rule_of[p]);
    else
      direct[callee].push_back(static_cast<int32_t>(p) + 1);
  }
  std::vector<int32_t> seen(g.rules.size(), -1), pending;
  for (size_t r = 0; r < g.rules.size(); ++r) {
    std::vector<int32_t>& out = follow[r];
    pending.assign(1, static_cast<int32_t>(r));
    seen[r] = static_cast<int32_t>(r);
    while (!pending.empty() && follow_known[r]) {
      const auto rule = static_cast<size_t>(pending.back());
      pending.pop_back();
      out.insert(out.end(), direct[rule].begin(), direct[rule].end());
      if (out.size() > kMaxFollow) follow_known[r] = 0;
      for (const int32_t caller : tail_callers[rule])
        if (seen[static_cast<size_t>(caller)] != static_cast<int32_t>(r)) {
          seen[static_cast<size_t>(caller)] = static_cast<int32_t>(r);
          pending.push_back(caller);
        }
    }
    if (!follow_known[r]) {
      out.clear();
      continue;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
}

bool GrammarAnalysis::tail_call(int32_t position) const {
  const auto p = static_cast<size_t>(position);
  return grammar.elements[p].kind == ElementKind::kRule && grammar.elements[p + 1].kind == ElementKind::kEnd;
}

Status check_left_recursion(const Grammar& grammar) {
  const GrammarAnalysis analysis(grammar);
  // Edges r -> s: some alternative of r calls s after a nullable prefix.
  std::vector<std::vector<int32_t>> starts_with(grammar.rules.size());
  for (size_t r = 0; r < grammar.rules.size(); ++r)
    for (const int32_t alt : grammar.rules[r].alternatives)
      for (auto p = static_cast<size_t>(alt); grammar.elements[p].kind != ElementKind::kEnd; ++p) {
        const Element& e = grammar.elements[p];
        if (e.kind == ElementKind::kBytes) break;
        starts_with[r].push_back(e.value);
        if (!analysis.rule_nullable[static_cast<size_t>(e.value)]) break;
      }
  // Iterative depth-first search for a cycle (0 new, 1 on the path, 2 done).
  std::vector<uint8_t> state(grammar.rules.size(), 0);
  std::vector<std::pair<int32_t, size_t>> path;
  for (size_t root = 0; root < grammar.rules.size(); ++root) {
    if (state[root]) continue;
    path.push_back({static_cast<int32_t>(root), 0});
    state[root] = 1;
    while (!path.empty()) {
      auto& [rule, next] = path.back();
      const auto& edges = starts_with[static_cast<size_t>(rule)];
      if (next == edges.size()) {
        state[static_cast<size_t>(rule)] = 2;
        path.pop_back();
        continue;
      }
      const int32_t callee = edges[next++];
      if (state[static_cast<size_t>(callee)] == 1)
        return Error{"the grammar is left-recursive: rule '" + grammar.rules[static_cast<size_t>(callee)].name +
                     "' can reach itself without matching a character"};
      if (state[static_cast<size_t>(callee)] == 0) {
        state[static_cast<size_t>(callee)] = 1;
        path.push_back({callee, 0});
      }
    }
  }
  return ok_status();
}

}  // namespace keel::grammar
