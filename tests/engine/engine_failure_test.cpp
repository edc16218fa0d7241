// A failing step loop (a backend error, injected by the fault-injecting
// backend under the model): every request ends with FinishCause::kEngineError and the
// cause, submit() refuses with RefusalReason::kFailed, the stats publish
// the failure, and shutdown still returns. A non-finite logits row, by
// contrast, ends only its own request.
#include <gtest/gtest.h>

#include <thread>

#include "engine_test_support.h"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr const char* kCause = "the accelerator fell off the bus";

void expect_ended_by_failure(const Outcome& outcome) {
  ASSERT_TRUE(outcome.finish.has_value());
  EXPECT_EQ(outcome.finish->cause, FinishCause::kEngineError);
  EXPECT_EQ(finish_cause_name(outcome.finish->cause), "engine_error");
  EXPECT_NE(outcome.finish->error.find(kCause), std::string::npos) << outcome.finish->error;
}

void expect_failed_engine(Engine& engine) {
  const EngineStats stats = engine.stats();
  EXPECT_TRUE(stats.failed);
  EXPECT_NE(stats.failure.find(kCause), std::string::npos) << stats.failure;
  EXPECT_EQ(stats.running, 0);
  EXPECT_EQ(stats.waiting, 0);
  const SubmitResult refused = engine.submit(greedy_request({1, 2, 3}, 4));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().reason, RefusalReason::kFailed);
  EXPECT_NE(refused.error().message.find(kCause), std::string::npos) << refused.error().message;
}

TEST(EngineFailure, ForwardErrorEndsRunningAndWaitingRequests) {
  EngineOptions options;
  options.max_seqs = 2;
  auto engine = make_faulty_engine(options);
  std::mt19937 rng(11);
  std::vector<RequestHandle> handles;
  for (int i = 0; i < 5; ++i) handles.push_back(engine->submit(greedy_request(random_prompt(rng, 6), 30)).value());
  ASSERT_TRUE(engine->step_once());
  ASSERT_TRUE(engine->step_once());
  EXPECT_EQ(engine->stats().running, 2);  // and three waiting

  faulty_tiny_model().faults->fail_next(kCause);
  engine->step_once();
  for (const auto& handle : handles) {
    Outcome outcome;
    drain(handle, outcome);
    expect_ended_by_failure(outcome);
  }
  expect_failed_engine(*engine);
  EXPECT_FALSE(engine->step_once()) << "a failed engine must not step again";
  EXPECT_EQ(engine->stats().finished, 5u);
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

TEST(EngineFailure, LoopThreadEndsStreamsAndShutdownReturns) {
  auto engine = make_faulty_engine(EngineOptions{});
  engine->start();
  std::mt19937 rng(12);
  std::vector<RequestHandle> handles;
  for (int i = 0; i < 3; ++i) handles.push_back(engine->submit(greedy_request(random_prompt(rng, 8), 240)).value());
  // Wait until they are generating, then fail a forward mid-stream.
  const auto give_up = steady_clock::now() + std::chrono::seconds(20);
  while (engine->stats().tokens_generated < 6 && steady_clock::now() < give_up) std::this_thread::sleep_for(milliseconds(1));
  faulty_tiny_model().faults->fail_next(kCause);

  for (const auto& handle : handles) {
    Outcome outcome;
    StreamUpdate update;
    while (!outcome.finish && steady_clock::now() < give_up) {
      if (!handle.stream().wait_and_read(update, milliseconds(50))) continue;
      outcome.ids.insert(outcome.ids.end(), update.tokens.begin(), update.tokens.end());
      if (update.finish) outcome.finish = update.finish;
    }
    expect_ended_by_failure(outcome);
    EXPECT_LT(outcome.ids.size(), 240u);
    EXPECT_TRUE(engine->stats().failed) << "the cause is published before any request ends";
  }
  // The loop publishes the emptied scheduler right after ending the requests.
  while (engine->stats().running + engine->stats().waiting > 0 && steady_clock::now() < give_up)
    std::this_thread::sleep_for(milliseconds(1));
  expect_failed_engine(*engine);
  const auto before = steady_clock::now();
  engine->shutdown(steady_clock::now() + std::chrono::seconds(5));
  EXPECT_LT(steady_clock::now() - before, std::chrono::seconds(2)) << "shutdown of a failed engine must not wait";
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
