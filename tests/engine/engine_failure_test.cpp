// Faults the engine survives, injected by the fault-injecting backend
// under the model (and, for the KV accounting, by reaching into it): a
// failed step ends only its own requests, a non-finite logits row only
// its own, a failed KV check quarantines the pool, restart() rebuilds
// the runner with the queue kept, and only a rebuild that fails stops the
// engine for good (every request ends, submit() refuses with the cause).
#include <gtest/gtest.h>

#include <thread>

#include "engine_test_support.h"
#include "kv/block_manager.h"

namespace keel::testing {

// Reaches the engine's KV accounting, to break it as a bug would.
struct EngineTestPeer {
  static BlockManager& blocks(Engine& engine) { return *engine.blocks_; }
};

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr const char* kCause = "the accelerator fell off the bus";

void expect_ended_with(const Outcome& outcome, std::string_view cause) {
  ASSERT_TRUE(outcome.finish.has_value());
  EXPECT_EQ(outcome.finish->cause, FinishCause::kEngineError);
  EXPECT_EQ(finish_cause_name(outcome.finish->cause), "engine_error");
  EXPECT_NE(outcome.finish->error.find(cause), std::string::npos) << outcome.finish->error;
}

void expect_ended_by_failure(const Outcome& outcome) { expect_ended_with(outcome, kCause); }

// The engine still serves: a new request runs to the end it has alone.
void expect_serving(Engine& engine) {
  const EngineStats stats = engine.stats();
  EXPECT_FALSE(stats.failed);
  const std::vector<int32_t> prompt = {5, 6, 7, 8};
  const RequestHandle later = engine.submit(greedy_request(prompt, 5)).value();
  const std::vector<Outcome> outcomes = run_to_completion(engine, {later});
  ASSERT_TRUE(outcomes[0].finish.has_value());
  EXPECT_EQ(outcomes[0].finish->cause, FinishCause::kMaxTokens);
  EXPECT_EQ(outcomes[0].ids, generate_alone(greedy_request(prompt, 5)));
  EXPECT_TRUE(engine.check_invariants().ok()) << engine.check_invariants().error().message;
}

// Five requests, two running (and three waiting) after two steps.
struct TwoRunning {
  std::unique_ptr<Engine> engine;
  std::vector<std::vector<int32_t>> prompts;
  std::vector<RequestHandle> handles;
};

TwoRunning two_running_three_waiting(EngineOptions options, uint32_t seed) {
  options.max_seqs = 2;
  TwoRunning setup{make_faulty_engine(options), {}, {}};
  std::mt19937 rng(seed);
  for (int i = 0; i < 5; ++i) {
    setup.prompts.push_back(random_prompt(rng, 6));
    setup.handles.push_back(setup.engine->submit(greedy_request(setup.prompts.back(), 30)).value());
  }
  EXPECT_TRUE(setup.engine->step_once());
  EXPECT_TRUE(setup.engine->step_once());
  EXPECT_EQ(setup.engine->stats().running, 2);
  EXPECT_EQ(setup.engine->stats().waiting, 3);
  return setup;
}

TEST(EngineFailure, ForwardErrorEndsOnlyTheRequestsOfItsStep) {
  TwoRunning setup = two_running_three_waiting(EngineOptions{}, 11);
  Engine& engine = *setup.engine;
  faulty_tiny_model().faults->fail_next(kCause);
  engine.step_once();
  EXPECT_EQ(engine.stats().running, 0) << "the failed step's two requests ended";
  EXPECT_TRUE(engine.check_invariants().ok()) << engine.check_invariants().error().message;

  const std::vector<Outcome> outcomes = run_to_completion(engine, setup.handles);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (i < 2) {
      expect_ended_by_failure(outcomes[i]);
      EXPECT_EQ(outcomes[i].ids.size(), 2u) << "the tokens before the failed step still came";
    } else {
      ASSERT_TRUE(outcomes[i].finish.has_value());
      EXPECT_EQ(outcomes[i].finish->cause, FinishCause::kMaxTokens) << "waiting request " << i;
      EXPECT_EQ(outcomes[i].ids, generate_alone(greedy_request(setup.prompts[i], 30))) << "request " << i;
    }
  }
  const EngineStats stats = engine.stats();
  EXPECT_EQ(stats.step_failures, 1u);
  EXPECT_NE(stats.last_step_failure.find(kCause), std::string::npos) << stats.last_step_failure;
  EXPECT_EQ(stats.finished, 5u);
  expect_serving(engine);
}

// restart() between steps: a fresh runner (its pool re-reserved) and an
// empty KV accounting; the running requests are recomputed and every
// request still produces exactly what it produces alone.
TEST(EngineFailure, RestartRebuildsTheRunnerAndKeepsTheQueue) {
  TwoRunning setup = two_running_three_waiting(EngineOptions{}, 13);
  Engine& engine = *setup.engine;
  ASSERT_TRUE(engine.step_once());
  engine.restart();
  engine.step_once();
  EXPECT_EQ(engine.stats().restarts, 1u);
  const std::vector<Outcome> outcomes = run_to_completion(engine, setup.handles);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    ASSERT_TRUE(outcomes[i].finish.has_value());
    EXPECT_EQ(outcomes[i].finish->cause, FinishCause::kMaxTokens) << "request " << i;
    EXPECT_EQ(outcomes[i].ids, generate_alone(greedy_request(setup.prompts[i], 30))) << "request " << i;
  }
  expect_serving(engine);
}

// A KV accounting that a bug broke (a reference no table holds) fails the
// periodic check: the running requests end naming it, the pool's
// accounting starts over, the waiting requests run as they would have,
// and the evidence is published. No abort.
TEST(EngineFailure, KvInvariantViolationQuarantinesThePool) {
  EngineOptions options;
  options.kv_check_interval = 1;
  TwoRunning setup = two_running_three_waiting(options, 17);
  Engine& engine = *setup.engine;
  BlockManager& blocks = EngineTestPeer::blocks(engine);
  blocks.pool().add_ref(blocks.total() - 1);  // a free block's refcount, with no holder
  engine.step_once();
  EngineStats stats = engine.stats();
  EXPECT_EQ(stats.kv_invariant_violations, 1u);
  EXPECT_NE(stats.last_kv_violation.find("free and in use"), std::string::npos) << stats.last_kv_violation;
  EXPECT_EQ(stats.running, 0);
  EXPECT_EQ(stats.blocks_free, stats.blocks_total) << "the pool starts over";
  EXPECT_TRUE(engine.check_invariants().ok()) << engine.check_invariants().error().message;

  const std::vector<Outcome> outcomes = run_to_completion(engine, setup.handles);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (i < 2) {
      expect_ended_with(outcomes[i], "consistency check");
    } else {
      ASSERT_TRUE(outcomes[i].finish.has_value());
      EXPECT_EQ(outcomes[i].ids, generate_alone(greedy_request(setup.prompts[i], 30))) << "request " << i;
    }
  }
  EXPECT_EQ(engine.stats().kv_invariant_violations, 1u) << "once quarantined, the pool stays sound";
  expect_serving(engine);
}

// A restart that cannot re-reserve its pool (the device out of memory)
// leaves the engine without a runner: it stops for good, ends every
// request with the cause, refuses new ones, and still shuts down.
TEST(EngineFailure, RebuildThatFailsStopsTheEngineForGood) {
  TwoRunning setup = two_running_three_waiting(EngineOptions{}, 19);
  Engine& engine = *setup.engine;
  FaultInjectingBackend& faults = *faulty_tiny_model().faults;
  faults.fail_allocations(true);
  engine.restart();
  engine.step_once();
  faults.fail_allocations(false);
  for (const auto& handle : setup.handles) {
    Outcome outcome;
    drain(handle, outcome);
    expect_ended_with(outcome, "out of device memory");
  }
  const EngineStats stats = engine.stats();
  EXPECT_TRUE(stats.failed);
  EXPECT_NE(stats.failure.find("could not be rebuilt"), std::string::npos) << stats.failure;
  EXPECT_EQ(stats.running + stats.waiting, 0);
  const SubmitResult refused = engine.submit(greedy_request({1, 2, 3}, 4));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().reason, RefusalReason::kFailed);
  EXPECT_NE(refused.error().message.find("out of device memory"), std::string::npos) << refused.error().message;
  EXPECT_FALSE(engine.step_once()) << "a failed engine must not step again";
}

// A non-finite logits row (a model that overflowed for one sequence) ends
// that request alone, naming the cause; the other request of the batch goes
// on and produces exactly what it produces alone, the engine is not failed
// and keeps accepting, and the KV accounting stays exact.
TEST(EngineFailure, NonFiniteLogitsEndOnlyTheirOwnRequest) {
  EngineOptions options;
  options.max_seqs = 4;
  auto engine = make_faulty_engine(options);
  const int64_t vocab = faulty_tiny_model().model->config().vocab;
  std::mt19937 rng(21);
  const std::vector<std::vector<int32_t>> prompts = {random_prompt(rng, 6), random_prompt(rng, 7)};
  std::vector<RequestHandle> handles;
  for (const auto& prompt : prompts) handles.push_back(engine->submit(greedy_request(prompt, 12)).value());
  ASSERT_TRUE(engine->step_once());  // both prompts
  ASSERT_TRUE(engine->step_once());  // a decode step of both
  faulty_tiny_model().faults->poison_logits(vocab, 0);  // the next step's first logits row
  while (engine->step_once()) {
  }
  int poisoned = 0;
  for (size_t i = 0; i < handles.size(); ++i) {
    Outcome outcome;
    drain(handles[i], outcome);
    ASSERT_TRUE(outcome.finish.has_value());
    if (outcome.finish->cause == FinishCause::kEngineError) {
      ++poisoned;
      EXPECT_NE(outcome.finish->error.find("not finite"), std::string::npos) << outcome.finish->error;
      EXPECT_EQ(outcome.ids.size(), 2u) << "the tokens before the bad row still came";
    } else {
      EXPECT_EQ(outcome.ids, generate_alone(greedy_request(prompts[i], 12))) << "request " << i;
    }
  }
  EXPECT_EQ(poisoned, 1);
  const EngineStats stats = engine->stats();
  EXPECT_FALSE(stats.failed);
  EXPECT_EQ(stats.non_finite_logits, 1u);
  EXPECT_TRUE(engine->check_invariants().ok()) << engine->check_invariants().error().message;
  // Still serving: a new request runs to its end.
  const RequestHandle later = engine->submit(greedy_request(prompts[0], 5)).value();
  while (engine->step_once()) {
  }
  Outcome outcome;
  drain(later, outcome);
  ASSERT_TRUE(outcome.finish.has_value());
  EXPECT_NE(outcome.finish->cause, FinishCause::kEngineError);
  EXPECT_EQ(outcome.ids, generate_alone(greedy_request(prompts[0], 5)));
  EXPECT_TRUE(engine->check_invariants().ok());
}

TEST(EngineFailure, LoopThreadEndsTheFailedStepsStreamsAndGoesOn) {
  auto engine = make_faulty_engine(EngineOptions{});
  // The fourth forward fails: a prefill and two decodes of all three
  // requests succeed first, so each has streamed three tokens.
  faulty_tiny_model().faults->fail_next(kCause, 1, /*after=*/3);
  std::mt19937 rng(12);
  std::vector<RequestHandle> handles;
  // All three are queued before the loop starts, so they share every step.
  for (int i = 0; i < 3; ++i) handles.push_back(engine->submit(greedy_request(random_prompt(rng, 8), 240)).value());
  engine->start();
  const auto give_up = steady_clock::now() + std::chrono::seconds(20);

  for (const auto& handle : handles) {
    Outcome outcome;
    StreamUpdate update;
    while (!outcome.finish && steady_clock::now() < give_up) {
      if (!handle.stream().wait_and_read(update, milliseconds(50))) continue;
      outcome.ids.insert(outcome.ids.end(), update.tokens.begin(), update.tokens.end());
      if (update.finish) outcome.finish = update.finish;
    }
    expect_ended_by_failure(outcome);
    EXPECT_EQ(outcome.ids.size(), 3u);
  }
  // The loop goes on: a later request streams to its end.
  const RequestHandle later = engine->submit(greedy_request({4, 5, 6}, 8)).value();
  while (!later.finished() && steady_clock::now() < give_up) std::this_thread::sleep_for(milliseconds(1));
  Outcome outcome;
  drain(later, outcome);
  ASSERT_TRUE(outcome.finish.has_value());
  EXPECT_EQ(outcome.finish->cause, FinishCause::kMaxTokens);
  EXPECT_EQ(engine->stats().step_failures, 1u);
  EXPECT_FALSE(engine->stats().failed);
  const auto before = steady_clock::now();
  engine->shutdown(steady_clock::now() + std::chrono::seconds(5));
  EXPECT_LT(steady_clock::now() - before, std::chrono::seconds(2));
}

// A device that hangs (the fault-injecting backend stalls in synchronize)
// stops the step loop's heartbeat while work is pending; when it answers
// again the loop carries on and the request completes.
TEST(EngineFailure, StalledDeviceStopsTheHeartbeatUntilItAnswers) {
  FaultInjectingBackend& faults = *faulty_tiny_model().faults;
  auto engine = make_faulty_engine(EngineOptions{});
  engine->start();
  std::this_thread::sleep_for(milliseconds(60));
  faults.stall(true);
  const RequestHandle handle = engine->submit(greedy_request({1, 2, 3}, 4)).value();
  std::this_thread::sleep_for(milliseconds(30));
  const auto beat = engine->stats().heartbeat;
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(engine->stats().heartbeat, beat);
  EXPECT_FALSE(handle.finished());
  faults.stall(false);
  const auto give_up = steady_clock::now() + std::chrono::seconds(10);
  while (!handle.finished() && steady_clock::now() < give_up) std::this_thread::sleep_for(milliseconds(1));
  EXPECT_TRUE(handle.finished());
  EXPECT_GT(engine->stats().heartbeat, beat);
  engine->shutdown(steady_clock::now() + std::chrono::seconds(5));
}

}  // namespace
}  // namespace keel::testing
