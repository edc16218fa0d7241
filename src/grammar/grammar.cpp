#include "grammar/grammar.h"

namespace keel::grammar {

int32_t Grammar::rule_of(int32_t position) const {
  while (elements[static_cast<size_t>(position)].kind != ElementKind::kEnd) ++position;
  return elements[static_cast<size_t>(position)].value;
}

GrammarBuilder::GrammarBuilder() { rules_.push_back(Rule{"<start>", {}}); }

int32_t GrammarBuilder::rule(const std::string& name) {
  const auto [it, inserted] = by_name_.emplace(name, static_cast<int32_t>(rules_.size()));
  if (inserted) rules_.push_back(Rule{name, {}});
  return it->second;
}

int32_t GrammarBuilder::helper_rule(const std::string& base) {
  // '#' cannot occur in a GBNF rule name, so no author's rule can clash.
  const auto id = static_cast<int32_t>(rules_.size());
  rules_.push_back(Rule{base + "#" + std::to_string(helpers_++), {}});
  return id;
}

bool GrammarBuilder::defined(int32_t rule) const { return !rules_[static_cast<size_t>(rule)].alternatives.empty(); }

Element GrammarBuilder::bytes(const ByteSet& set) {
  for (size_t i = 0; i < byte_sets_.size(); ++i)
    if (byte_sets_[i] == set) return {ElementKind::kBytes, static_cast<int32_t>(i)};
  byte_sets_.push_back(set);
  return {ElementKind::kBytes, static_cast<int32_t>(byte_sets_.size() - 1)};
}

Element GrammarBuilder::byte(uint8_t value) {
  ByteSet set;
  set.add(value);
  return bytes(set);
}

void GrammarBuilder::add_alternative(int32_t rule, const std::vector<Element>& sequence) {
  rules_[static_cast<size_t>(rule)].alternatives.push_back(static_cast<int32_t>(elements_.size()));
  elements_.insert(elements_.end(), sequence.begin(), sequence.end());
  elements_.push_back(Element{ElementKind::kEnd, rule});
}

Result<Grammar> GrammarBuilder::build(int32_t root) && {
  Grammar grammar;
  grammar.start = static_cast<int32_t>(elements_.size());
  add_alternative(0, {call(root)});
  for (const Element& element : elements_)
    if (element.kind == ElementKind::kRule && !defined(element.value))
      return Error{"the grammar uses rule '" + rules_[static_cast<size_t>(element.value)].name +
                   "' but never defines it"};
  grammar.elements = std::move(elements_);
  grammar.byte_sets = std::move(byte_sets_);
  grammar.rules = std::move(rules_);
  return grammar;
}

}  // namespace keel::grammar
