// --gpu-memory-utilization: on a backend with memory of its own (a GPU;
// here the CPU backend under FaultInjectingBackend::simulate_device_memory),
// the KV pool is what the weights, activations and scratch (and other
// processes) leave of the fraction, to within one block; too small a
// fraction is an error that says so; a host-memory backend ignores it; and
// stats() report what was reserved.
#include <gtest/gtest.h>

#include "engine_test_support.h"

namespace keel::testing {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

// Undoes the simulation when a test ends (the faulty model is shared).
struct SimulatedDevice {
  SimulatedDevice(int64_t total, int64_t others) { faulty_tiny_model().faults->simulate_device_memory(total, others); }
  ~SimulatedDevice() { faulty_tiny_model().faults->simulate_device_memory(0); }
};

EngineOptions utilization(double fraction) {
  EngineOptions options;
  options.gpu_memory_utilization = fraction;
  options.max_seqs = 4;
  options.max_context = 256;
  return options;
}

TEST(EngineDeviceMemory, KvPoolTakesWhatTheUtilizationLeaves) {
  SimulatedDevice device(64 * kMiB, 8 * kMiB);
  Backend& backend = faulty_tiny_model().model->backend();
  auto engine = Engine::create(*faulty_tiny_model().model, tiny_model().files.tokenizer, utilization(0.5));
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  const EngineStats stats = (*engine)->stats();
  const int64_t block_bytes = stats.device_kv_bytes / stats.blocks_total;
  const int64_t used = 8 * kMiB + backend.device_memory_use().buffer_bytes;  // others + everything reserved
  EXPECT_LE(used, 32 * kMiB) << "within half of the device";
  EXPECT_GT(used + block_bytes, 32 * kMiB) << "less than one block of it left unused";
  // Far more than the host rule's max_seqs x max_context (4 x 16 blocks).
  EXPECT_GT(stats.blocks_total, 4 * 16);
  EXPECT_EQ(stats.device_memory_total, 64 * kMiB);
  EXPECT_EQ(stats.device_name, "simulated device");
  EXPECT_EQ(stats.device_kv_bytes, int64_t{stats.blocks_total} * block_bytes);
  EXPECT_EQ(stats.device_workspace_bytes, backend.device_memory_use().buffer_bytes - stats.device_kv_bytes);
  EXPECT_GT(stats.device_workspace_bytes, 0);

  // A rebuild re-reserves the same pool.
  (*engine)->restart();
  (*engine)->step_once();
  EXPECT_EQ((*engine)->stats().blocks_total, stats.blocks_total);
  EXPECT_EQ((*engine)->stats().restarts, 1u);
}

// A reload's new engine beside a serving one: the serving one's memory does
// not count against the share, so the new one gets the same pool.
TEST(EngineDeviceMemory, AReplacementGetsTheShareOfTheModelItReplaces) {
  SimulatedDevice device(64 * kMiB, 0);
  auto serving = Engine::create(*faulty_tiny_model().model, tiny_model().files.tokenizer, utilization(0.45));
  ASSERT_TRUE(serving.ok()) << serving.error().message;
  const EngineStats held = (*serving)->stats();
  auto crowded = Engine::create(*faulty_tiny_model().model, tiny_model().files.tokenizer, utilization(0.45));
  EXPECT_FALSE(crowded.ok()) << "the share is already taken";
  EngineOptions options = utilization(0.45);
  options.gpu_memory_replaced_bytes = held.device_weight_bytes + held.device_kv_bytes + held.device_workspace_bytes;
  auto replacement = Engine::create(*faulty_tiny_model().model, tiny_model().files.tokenizer, options);
  ASSERT_TRUE(replacement.ok()) << replacement.error().message;
  // The shared model's scratch is reserved once (grow-only), so the second
  // engine's own reservation is its KV and activations: within a block of the first.
  EXPECT_NEAR((*replacement)->stats().blocks_total, held.blocks_total, held.blocks_total * 0.02 + 1);
}

TEST(EngineDeviceMemory, TooSmallAFractionSaysWhatItLeaves) {
  SimulatedDevice device(64 * kMiB, 8 * kMiB);  // 8 of 64 MiB in use elsewhere: 0.12 leaves nothing
  auto engine = Engine::create(*faulty_tiny_model().model, tiny_model().files.tokenizer, utilization(0.12));
  ASSERT_FALSE(engine.ok());
  EXPECT_NE(engine.error().message.find("--gpu-memory-utilization 0.12 leaves"), std::string::npos)
      << engine.error().message;
  EXPECT_NE(engine.error().message.find("--max-context"), std::string::npos) << engine.error().message;
}

TEST(EngineDeviceMemory, ExplicitSizeWinsOverTheFraction) {
  SimulatedDevice device(64 * kMiB, 0);
  EngineOptions options = utilization(0.9);
  options.kv_cache_memory = 2 * kMiB;
  auto engine = Engine::create(*faulty_tiny_model().model, tiny_model().files.tokenizer, options);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  const EngineStats stats = (*engine)->stats();
  const int64_t block_bytes = stats.device_kv_bytes / stats.blocks_total;
  EXPECT_LE(stats.device_kv_bytes, 2 * kMiB) << "--kv-cache-memory, not the fraction";
  EXPECT_GT(stats.device_kv_bytes + block_bytes, 2 * kMiB);
}

TEST(EngineDeviceMemory, HostBackendsIgnoreTheFraction) {
  if (tiny_model().model->backend().device_memory().has_value())
    GTEST_SKIP() << "$KEEL_TEST_DEVICE has device memory of its own: the fraction applies there";
  // No device memory of its own: the max_context x max_seqs rule, no device figures.
  auto engine = make_engine(utilization(0.9));
  EXPECT_EQ(engine->stats().blocks_total, 4 * 16);
  EXPECT_EQ(engine->stats().device_memory_total, 0);
}

}  // namespace
}  // namespace keel::testing
