// Small drivers of ModelRunner::forward shared by the model tests: a runner
// whose sequences each own consecutive KV blocks (sequence s, position p ->
// block s * blocks_per_sequence + p / 16), so a test can run one sequence's
// chunks without the engine's scheduler.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <vector>

#include "backend/forward_batch_builder.h"
#include "model/model.h"
#include "model/model_runner.h"

namespace keel::testing {

// How the model tests load a model: on $KEEL_TEST_DEVICE (a --device name,
// e.g. cuda on a GPU machine), or on the CPU.
inline LoadOptions test_load_options() {
  LoadOptions options;
  if (const char* device = std::getenv("KEEL_TEST_DEVICE"); device != nullptr && *device != '\0') options.device = device;
  return options;
}

class TestRunner {
 public:
  static constexpr int32_t kBlockSize = 16;

  TestRunner(Model& model, int32_t sequences, int32_t capacity, DType kv_dtype = DType::F32,
             int32_t max_batch_tokens = 512)
      : blocks_per_sequence_((capacity + kBlockSize - 1) / kBlockSize),
        builder_({max_batch_tokens, sequences, blocks_per_sequence_, kBlockSize}) {
    RunnerLimits limits;
    limits.max_batch_tokens = max_batch_tokens;
    limits.max_seqs = sequences;
    limits.max_logit_rows = max_batch_tokens;
    limits.max_blocks_per_seq = blocks_per_sequence_;
    limits.kv_blocks = sequences * blocks_per_sequence_;
    limits.kv_block_size = kBlockSize;
    limits.kv_dtype = kv_dtype;
    runner_ = ModelRunner::create(model, limits).value();
    tables_.resize(static_cast<size_t>(sequences) * blocks_per_sequence_);
    std::iota(tables_.begin(), tables_.end(), 0);
  }

  ModelRunner& runner() { return *runner_; }
  ForwardBatchBuilder& builder() { return builder_; }
  // Sequence s's block table.
  std::span<const int32_t> blocks(int32_t s) const {
    return std::span(tables_).subspan(static_cast<size_t>(s) * blocks_per_sequence_, blocks_per_sequence_);
  }

 private:
  int32_t blocks_per_sequence_;
  ForwardBatchBuilder builder_;
  std::unique_ptr<ModelRunner> runner_;
  std::vector<int32_t> tables_;
};

inline std::unique_ptr<TestRunner> make_test_runner(Model& model, int32_t sequences, int32_t capacity,
                                                    DType kv_dtype = DType::F32) {
  return std::make_unique<TestRunner>(model, sequences, capacity, kv_dtype);
}

// Runs `tokens` as one chunk of sequence `seq` starting at `first_position`,
// returning logits for every token ([tokens × vocab]); empty on error.
inline std::vector<float> prefill_all_logits(Model& model, TestRunner& runner, const std::vector<int32_t>& tokens,
                                             int32_t first_position = 0, int32_t seq = 0) {
  ForwardBatchBuilder& builder = runner.builder();
  builder.clear();
  builder.add_sequence(tokens, first_position, runner.blocks(seq), LogitRows::kAll);
  const ForwardBatch batch = builder.finish();
  std::vector<float> logits(tokens.size() * static_cast<size_t>(model.config().vocab));
  if (!runner.runner().forward(batch, logits).ok()) logits.clear();
  return logits;
}

// max |a - b| over each row, divided by that row's max |b|; the worst row.
inline double max_relative_row_error(const std::vector<float>& a, const std::vector<float>& b, int64_t row_size) {
  double worst = 0;
  for (size_t start = 0; start + row_size <= b.size(); start += row_size) {
    double scale = 0, diff = 0;
    for (int64_t i = 0; i < row_size; ++i) {
      scale = std::max(scale, std::abs(static_cast<double>(b[start + i])));
      diff = std::max(diff, std::abs(static_cast<double>(a[start + i]) - b[start + i]));
    }
    worst = std::max(worst, diff / std::max(scale, 1e-30));
  }
  return worst;
}

inline int32_t argmax(const float* row, int64_t n) {
  int32_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (row[i] > row[best]) best = static_cast<int32_t>(i);
  return best;
}

}  // namespace keel::testing
