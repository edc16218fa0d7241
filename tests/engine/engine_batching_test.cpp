// Guarantees 1 and 4: batching changes no output, and a step computes
// exactly the real tokens scheduled (no padding).
#include "engine_test_support.h"

namespace keel::testing {
namespace {

// 1. Random request sets, greedy: each output equals the request run alone
// through the single-sequence Generator, whatever it was batched with,
// however its prompt was chunked.
TEST(EngineBatching, OutputsEqualEachRequestRunAlone) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 4; ++trial) {
    EngineOptions options;
    options.max_batch_tokens = 24 + 16 * trial;  // small: prompts are chunked and mixed with decodes
    options.max_seqs = 6;
    options.kv_block_size = trial % 2 == 0 ? 16 : 4;
    auto engine = make_engine(options);
    std::vector<Request> requests;
    std::vector<RequestHandle> handles;
    const int count = 5 + trial * 2;
    for (int i = 0; i < count; ++i) {
      const int32_t length = std::uniform_int_distribution<int32_t>(1, 70)(rng);
      const int32_t max_tokens = std::uniform_int_distribution<int32_t>(1, 24)(rng);
      requests.push_back(greedy_request(random_prompt(rng, length), max_tokens, /*ignore_eos=*/i % 3 != 0));
      handles.push_back(engine->submit(requests.back()).value());
    }
    const std::vector<Outcome> outcomes = run_to_completion(*engine, handles);
    for (int i = 0; i < count; ++i) {
      EXPECT_EQ(outcomes[i].ids, generate_alone(requests[i])) << "trial " << trial << " request " << i;
      EXPECT_EQ(outcomes[i].usage.completion_tokens, static_cast<int32_t>(outcomes[i].ids.size()));
    }
  }
}

// 4. A step that mixes a 3-token and a 200-token prompt computes 203 token
// rows; the decode steps that follow compute one row per sequence.
TEST(EngineBatching, StepComputesExactlyTheRealTokens) {
  EngineOptions options;
  options.max_batch_tokens = 512;
  auto engine = make_engine(options);
  std::mt19937 rng(7);
  auto a = engine->submit(greedy_request(random_prompt(rng, 3), 4)).value();
  auto b = engine->submit(greedy_request(random_prompt(rng, 200), 4)).value();
  ASSERT_TRUE(engine->step_once());
  EXPECT_EQ(engine->stats().last_step_tokens, 203);
  EXPECT_EQ(engine->stats().last_step_sequences, 2);
  ASSERT_TRUE(engine->step_once());
  EXPECT_EQ(engine->stats().last_step_tokens, 2);
  run_to_completion(*engine, {a, b});
  // Totals: every prompt token once, plus one row per fed-back token.
  EXPECT_EQ(engine->stats().tokens_computed, 203u + 2u * 3u);
}

// Chunked prefill under a small budget keeps decoding the running sequence.
TEST(EngineBatching, LongPromptIsChunkedWhileOthersDecode) {
  EngineOptions options;
  options.max_batch_tokens = 32;
  auto engine = make_engine(options);
  std::mt19937 rng(9);
  auto shorter = engine->submit(greedy_request(random_prompt(rng, 5), 20)).value();
  engine->step_once();  // shorter prefilled
  auto longer = engine->submit(greedy_request(random_prompt(rng, 150), 2)).value();
  for (int i = 0; i < 4; ++i) {
    engine->step_once();
    EXPECT_EQ(engine->stats().last_step_tokens, 32);     // 1 decode + 31 prompt tokens
    EXPECT_EQ(engine->stats().last_step_sequences, 2);
  }
  run_to_completion(*engine, {shorter, longer});
}

TEST(EngineSubmit, RejectsRequestsThatCanNeverRun) {
  EngineOptions options;
  options.kv_cache_memory = 0;
  options.max_seqs = 2;
  auto engine = make_engine(options);
  EXPECT_FALSE(engine->submit(greedy_request({}, 4)).ok());
  auto too_long = engine->submit(greedy_request(std::vector<int32_t>(250, 5), 10));
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.error().message.find("exceeds the context"), std::string::npos) << too_long.error().message;
  EXPECT_FALSE(engine->submit(greedy_request({1, 2}, 0)).ok());
  EXPECT_FALSE(engine->submit(greedy_request({1, 99999}, 4)).ok());
  Request bad = greedy_request({1, 2}, 4);
  bad.sampling.top_p = 0.0f;
  EXPECT_FALSE(engine->submit(bad).ok());

  EngineOptions small;
  small.kv_block_size = 4;
  small.kv_cache_memory = 1;  // computed below: room for 8 blocks
  const auto& config = tiny_model().model->config();
  small.kv_cache_memory = 8 * 2 * config.layers * 4 * config.kv_heads * config.head_dim * 4;
  auto tiny_pool = make_engine(small);
  EXPECT_EQ(tiny_pool->stats().blocks_total, 8);
  auto over_pool = tiny_pool->submit(greedy_request(std::vector<int32_t>(30, 5), 3));
  ASSERT_FALSE(over_pool.ok());
  EXPECT_NE(over_pool.error().message.find("KV memory"), std::string::npos) << over_pool.error().message;
  EXPECT_TRUE(tiny_pool->submit(greedy_request(std::vector<int32_t>(29, 5), 3)).ok());
}

// The threaded engine: submit from this thread, the loop runs, the
// notifier fires, stats are readable while it runs, shutdown drains.
TEST(EngineThreaded, StreamsNotifiesAndDrains) {
  auto engine = make_engine(EngineOptions{});
  engine->start();
  std::atomic<int> notifications{0};
  std::mt19937 rng(3);
  Request request = greedy_request(random_prompt(rng, 10), 12);
  const std::vector<int32_t> expected = generate_alone(request);
  request.on_events = [&] { notifications.fetch_add(1); };
  request.logprobs = true;
  request.sampling.top_logprobs = 3;
  auto handle = engine->submit(request).value();
  Outcome outcome;
  StreamUpdate update;
  while (!outcome.finish) {
    if (handle.stream().wait_and_read(update, std::chrono::milliseconds(100))) {
      EXPECT_EQ(update.logprobs.size(), update.tokens.size() * 4);
      outcome.ids.insert(outcome.ids.end(), update.tokens.begin(), update.tokens.end());
      if (update.finish) outcome.finish = update.finish;
      outcome.usage = update.usage;
    }
    (void)engine->stats();
  }
  EXPECT_EQ(outcome.ids, expected);
  EXPECT_EQ(outcome.finish->reason(), "length");
  EXPECT_EQ(outcome.usage.prompt_tokens, 10);
  EXPECT_GE(notifications.load(), 1);
  engine->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  EXPECT_FALSE(engine->submit(greedy_request({1, 2}, 2)).ok());
}

// ignore_eos: the model's end-of-generation ids are never drawn (as in
// llama.cpp), so every token of the output has text and the request runs to
// max_tokens. Sampled at a high temperature from a random model, EOG ids
// would otherwise come up in ~1 in 250 tokens; 4 x 240 tokens give none.
TEST(EngineIgnoreEos, EndOfGenerationIdsAreNeverDrawn) {
  auto engine = make_engine(EngineOptions{});
  const Tokenizer& tokenizer = tiny_model().files.tokenizer;
  ASSERT_FALSE(tokenizer.end_of_generation_ids().empty());
  std::mt19937 rng(5);
  std::vector<RequestHandle> handles;
  for (int i = 0; i < 4; ++i) {
    Request request = greedy_request(random_prompt(rng, 8), 240);
    request.sampling.temperature = 1.5f;
    request.sampling.seed = 40 + static_cast<uint64_t>(i);
    handles.push_back(engine->submit(std::move(request)).value());
  }
  while (engine->step_once()) {
  }
  for (const RequestHandle& handle : handles) {
    Outcome outcome;
    drain(handle, outcome);
    ASSERT_TRUE(outcome.finish.has_value());
    EXPECT_EQ(outcome.finish->cause, FinishCause::kMaxTokens);
    EXPECT_EQ(outcome.ids.size(), 240u);
    for (const int32_t id : outcome.ids) EXPECT_FALSE(tokenizer.is_end_of_generation(id)) << "drew " << id;
  }
}

// A step whose rows all sample greedily (no logprobs, no grammar; under
// ignore_eos, the argmax among the ids that are not end-of-generation)
// brings back only each row's argmax from the backend; a step with a row
// that needs its whole vocabulary (logprobs here) brings back the logits.
// Either way every request gets what it gets alone.
TEST(EngineArgmaxSteps, GreedyRowsComeBackAsTheirArgmaxAndMatchTheFullRows) {
  EngineOptions options;
  options.max_seqs = 4;
  FaultInjectingBackend& faults = *faulty_tiny_model().faults;
  std::mt19937 rng(33);
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < 3; ++i) prompts.push_back(random_prompt(rng, 5 + 3 * i));
  auto run = [&](bool logprobs, bool ignore_eos) {
    auto engine = make_faulty_engine(options);
    std::vector<RequestHandle> handles;
    for (const auto& prompt : prompts) {
      Request request = greedy_request(prompt, 16, ignore_eos);
      request.logprobs = logprobs;
      handles.push_back(engine->submit(std::move(request)).value());
    }
    return run_to_completion(*engine, handles);
  };
  for (const bool ignore_eos : {false, true}) {
    const int64_t before = faults.argmax_calls();
    const std::vector<Outcome> by_argmax = run(false, ignore_eos);
    const int64_t argmax_steps = faults.argmax_calls() - before;
    EXPECT_GT(argmax_steps, 10) << "greedy steps should have taken each row's argmax; ignore_eos " << ignore_eos;
    const std::vector<Outcome> full_rows = run(true, ignore_eos);
    EXPECT_EQ(faults.argmax_calls() - before, argmax_steps) << "a logprobs step needs the whole rows";
    for (size_t i = 0; i < prompts.size(); ++i) {
      const std::string what = "request " + std::to_string(i) + (ignore_eos ? ", ignore_eos" : "");
      ASSERT_TRUE(by_argmax[i].finish.has_value()) << what;
      EXPECT_FALSE(by_argmax[i].ids.empty()) << what;
      EXPECT_EQ(by_argmax[i].ids, full_rows[i].ids) << what;
      EXPECT_EQ(by_argmax[i].ids, generate_alone(greedy_request(prompts[i], 16, ignore_eos))) << what;
    }
  }
}

}  // namespace
}  // namespace keel::testing
