#include "server/grammar_cache.h"

#include "grammar/gbnf_parser.h"

namespace keel::server {

Result<std::shared_ptr<const grammar::CompiledGrammar>> GrammarCache::get(
    const std::string& gbnf, const std::shared_ptr<const grammar::Vocabulary>& vocabulary) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(gbnf); it != entries_.end() && &it->second.grammar->vocabulary() == vocabulary.get()) {
      ages_.splice(ages_.begin(), ages_, it->second.age);
      ++hits_;
      return it->second.grammar;
    }
  }
  // Compiled outside the lock: other requests go on meanwhile. Two requests
  // with the same new grammar may both compile it; the second result wins.
  KEEL_ASSIGN_OR_RETURN(grammar::Grammar parsed, grammar::parse_gbnf(gbnf));
  KEEL_ASSIGN_OR_RETURN(auto compiled, grammar::CompiledGrammar::compile(std::move(parsed), vocabulary));
  std::lock_guard lock(mutex_);
  ++compiles_;
  if (auto it = entries_.find(gbnf); it != entries_.end()) {
    ages_.erase(it->second.age);
    entries_.erase(it);
  }
  ages_.push_front(gbnf);
  entries_[gbnf] = Entry{compiled, ages_.begin()};
  while (entries_.size() > capacity_) {
    entries_.erase(ages_.back());
    ages_.pop_back();
  }
  return compiled;
}

uint64_t GrammarCache::hits() const {
  std::lock_guard lock(mutex_);
  return hits_;
}

uint64_t GrammarCache::compiles() const {
  std::lock_guard lock(mutex_);
  return compiles_;
}

}  // namespace keel::server
