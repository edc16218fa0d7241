// The step-graph protocol between ModelRunner and a backend that records
// decode steps (a GPU's CUDA graphs), checked on the CPU with a backend that
// logs the calls: each runner's steps carry its own never-reused owner id
// (two runners on one backend must not replay each other's steps: their
// launches name different buffers), a runner going away drops its steps,
// and the block-table width of a step comes in powers of two.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "backend/fault_injecting_backend.h"
#include "forward_helpers.h"

namespace keel::testing {
namespace {

// Says it records decode steps, never has one to replay (so the ops always
// run on the real backend), and logs what ModelRunner asks of it.
class RecordingBackend : public FaultInjectingBackend {
 public:
  using FaultInjectingBackend::FaultInjectingBackend;
  bool can_capture_step(int64_t n_tokens) const override { return n_tokens <= 8; }
  bool replay_step(const StepShape& shape) override {
    replays.push_back(shape);
    return false;
  }
  void begin_capture(const StepShape& shape) override { captures.push_back(shape); }
  void end_capture() override { ++ends; }
  void forget_steps(uint64_t owner) override { forgotten.push_back(owner); }

  std::vector<StepShape> replays, captures;
  std::vector<uint64_t> forgotten;
  int ends = 0;
};

struct RecordedModel {
  std::unique_ptr<Model> model;
  RecordingBackend* backend = nullptr;
};

RecordedModel load_recorded(const std::string& relative) {
  RecordedModel out;
  LoadOptions options;
  options.wrap_backend = [&out](std::unique_ptr<Backend> real) -> std::unique_ptr<Backend> {
    auto wrapped = std::make_unique<RecordingBackend>(std::move(real));
    out.backend = wrapped.get();
    return wrapped;
  };
  out.model = load_model(std::string(KEEL_SOURCE_DIR) + "/" + relative, options).value();
  return out;
}

// One decode-sized step (a 1-token chunk at `position`) of sequence 0.
Status one_token_step(TestRunner& runner, int32_t position, std::vector<float>& logits) {
  runner.builder().clear();
  runner.builder().add_sequence(std::vector<int32_t>{7}, position, runner.blocks(0), LogitRows::kLast);
  return runner.runner().forward(runner.builder().finish(), logits);
}

TEST(StepGraphs, EachRunnerRecordsItsOwnStepsAndDropsThemWhenItGoes) {
  RecordedModel m = load_recorded("tests/golden/qwen2/model-q8_0.gguf");
  std::vector<float> logits(static_cast<size_t>(m.model->config().vocab));
  auto first = std::make_unique<TestRunner>(*m.model, 1, 64);
  TestRunner second(*m.model, 1, 64);
  ASSERT_TRUE(one_token_step(*first, 0, logits).ok());
  ASSERT_TRUE(one_token_step(second, 0, logits).ok());
  ASSERT_EQ(m.backend->captures.size(), 2u);
  EXPECT_EQ(m.backend->ends, 2);
  const StepShape a = m.backend->captures[0], b = m.backend->captures[1];
  EXPECT_NE(a.owner, b.owner) << "two runners' steps must never be taken for each other";
  EXPECT_EQ(a.n_tokens, 1);
  EXPECT_EQ(b.n_tokens, 1);
  EXPECT_TRUE(m.backend->forgotten.empty());
  first.reset();
  ASSERT_EQ(m.backend->forgotten.size(), 1u);
  EXPECT_EQ(m.backend->forgotten[0], a.owner);
  // A prefill (more rows than the backend records) runs without recording.
  second.builder().clear();
  second.builder().add_sequence(std::vector<int32_t>(9, 7), 1, second.blocks(0), LogitRows::kLast);
  ASSERT_TRUE(second.runner().forward(second.builder().finish(), logits).ok());
  EXPECT_EQ(m.backend->captures.size(), 2u);
}

TEST(StepGraphs, BlockTableWidthsComeInPowersOfTwo) {
  RecordedModel m = load_recorded("tests/golden/qwen2/model-q8_0.gguf");
  std::vector<float> logits(static_cast<size_t>(m.model->config().vocab));
  TestRunner runner(*m.model, 1, 160);  // 10 blocks of 16
  // Positions 16, 40 and 70 need 2, 3 and 5 blocks: widths 2, 4 and 8.
  for (int32_t position : {16, 40, 70}) ASSERT_TRUE(one_token_step(runner, position, logits).ok());
  ASSERT_EQ(m.backend->captures.size(), 3u);
  EXPECT_EQ(m.backend->captures[0].max_blocks_per_seq, 2);
  EXPECT_EQ(m.backend->captures[1].max_blocks_per_seq, 4);
  EXPECT_EQ(m.backend->captures[2].max_blocks_per_seq, 8);
  // ... and never past what the runner allows (10 blocks here).
  ASSERT_TRUE(one_token_step(runner, 150, logits).ok());
  EXPECT_EQ(m.backend->captures.back().max_blocks_per_seq, 10);
}

}  // namespace
}  // namespace keel::testing
