// GrammarCache: compiled grammars shared across requests. Compiling a
// grammar against a 150k-token vocabulary costs from tens of milliseconds
// (any JSON) to about a second (a large schema with bounded strings), so a
// client that sends the same schema with every request pays it once. Keyed
// by the grammar's text; at most `capacity` entries, the least recently
// used dropped first (requests that hold one keep it alive).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/result.h"
#include "grammar/compiled_grammar.h"

namespace keel::server {

class GrammarCache {
 public:
  explicit GrammarCache(size_t capacity) : capacity_(capacity) {}

  // The compiled grammar for `gbnf` on `vocabulary`, or an error naming what
  // is wrong with the grammar.
  Result<std::shared_ptr<const grammar::CompiledGrammar>> get(
      const std::string& gbnf, const std::shared_ptr<const grammar::Vocabulary>& vocabulary);

  uint64_t hits() const;
  uint64_t compiles() const;

 private:
  struct Entry {
    std::shared_ptr<const grammar::CompiledGrammar> grammar;
    std::list<std::string>::iterator age;
  };
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> ages_;  // most recently used first
  uint64_t hits_ = 0, compiles_ = 0;
};

}  // namespace keel::server
