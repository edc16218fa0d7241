// Issue 15: a request with a grammar generates only text inside it, ends
// when the grammar is complete, and leaves the other requests of its batch
// exactly as they would be alone.
#include <regex>

#include "engine_test_support.h"
#include "grammar/gbnf_parser.h"
#include "grammar/json_schema.h"

namespace keel::testing {
namespace {

std::shared_ptr<const grammar::CompiledGrammar> compile(Engine& engine, const std::string& gbnf) {
  return grammar::CompiledGrammar::compile(grammar::parse_gbnf(gbnf).value(), engine.grammar_vocabulary()).value();
}

EngineOptions options() {
  EngineOptions o;
  o.kv_block_size = 8;
  o.max_seqs = 4;
  o.max_batch_tokens = 64;
  const auto& config = tiny_model().model->config();
  o.kv_cache_memory = 64 * (2 * config.layers * 8 * config.kv_heads * config.head_dim * 4);
  return o;
}

// Random-weight logits give no preference for the grammar's text, so every
// seed walks a different path through it; each must stay inside.
TEST(ConstrainedDecoding, SampledOutputAlwaysMatchesTheGrammar) {
  auto engine = make_engine(options());
  const auto grammar = compile(*engine, R"(root ::= "[" item ( ", " item ){0,3} "]"
item ::= [0-9]{1,3} | "\"" [a-z]{1,4} "\"")");
  const std::regex shape(R"(\[(\d{1,3}|"[a-z]{1,4}")(, (\d{1,3}|"[a-z]{1,4}")){0,3}\])");
  std::mt19937 rng(5);
  int completed = 0;
  for (uint64_t seed = 0; seed < 24; ++seed) {
    Request request = greedy_request(random_prompt(rng, 6), 40, false);
    request.sampling.temperature = 1.0f;
    request.sampling.seed = seed;
    request.grammar = grammar;
    const auto outcome = run_to_completion(*engine, {engine->submit(std::move(request)).value()})[0];
    ASSERT_TRUE(outcome.finish.has_value());
    if (outcome.finish->cause == FinishCause::kMaxTokens) continue;
    EXPECT_TRUE(outcome.finish->cause == FinishCause::kEndOfGeneration ||
                outcome.finish->cause == FinishCause::kGrammarComplete)
        << finish_cause_name(outcome.finish->cause);
    EXPECT_TRUE(std::regex_match(outcome.text, shape)) << outcome.text;
    ++completed;
  }
  EXPECT_GT(completed, 12);
}

TEST(ConstrainedDecoding, GreedyJsonIsValidJsonOfTheSchema) {
  auto engine = make_engine(options());
  const auto gbnf = grammar::json_schema_to_gbnf(nlohmann::ordered_json::parse(
      R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"enum":["x","y"]}},"required":["a","b"]})"));
  const auto grammar = compile(*engine, gbnf.value());
  std::mt19937 rng(9);
  for (int i = 0; i < 4; ++i) {
    Request request = greedy_request(random_prompt(rng, 8), 60, false);
    request.grammar = grammar;
    const auto outcome = run_to_completion(*engine, {engine->submit(std::move(request)).value()})[0];
    if (outcome.finish->cause == FinishCause::kMaxTokens) continue;
    const auto value = nlohmann::json::parse(outcome.text);
    EXPECT_TRUE(value["a"].is_number_integer()) << outcome.text;
    EXPECT_TRUE(value["b"] == "x" || value["b"] == "y") << outcome.text;
  }
}

// Batch invariance: unconstrained requests batched with constrained ones
// produce what they produce alone (the mask is per request).
TEST(ConstrainedDecoding, UnconstrainedNeighboursAreUntouched) {
  auto engine = make_engine(options());
  const auto grammar = compile(*engine, grammar::json_object_gbnf());
  std::mt19937 rng(13);
  std::vector<Request> plain;
  for (int i = 0; i < 2; ++i) plain.push_back(greedy_request(random_prompt(rng, 10), 24));
  std::vector<RequestHandle> handles;
  for (const Request& r : plain) handles.push_back(engine->submit(Request(r)).value());
  for (int i = 0; i < 2; ++i) {
    Request constrained = greedy_request(random_prompt(rng, 10), 24);
    constrained.sampling.temperature = 1.0f;
    constrained.sampling.seed = static_cast<uint64_t>(i);
    constrained.grammar = grammar;
    handles.push_back(engine->submit(std::move(constrained)).value());
  }
  const auto outcomes = run_to_completion(*engine, handles);
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_EQ(outcomes[i].ids, generate_alone(plain[i])) << "request " << i;
  for (size_t i = plain.size(); i < outcomes.size(); ++i) EXPECT_EQ(outcomes[i].text.substr(0, 1), "{");
}

TEST(ConstrainedDecoding, AGrammarForAnotherVocabularyIsRefused) {
  auto engine = make_engine(options());
  auto other = std::make_shared<const grammar::Vocabulary>(std::vector<std::string>{"a", "b"});
  Request request = greedy_request({5, 6, 7}, 4);
  request.grammar = grammar::CompiledGrammar::compile(grammar::parse_gbnf("root ::= \"a\"").value(), other).value();
  const auto result = engine->submit(std::move(request));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("another vocabulary"), std::string::npos);
}

}  // namespace
}  // namespace keel::testing
