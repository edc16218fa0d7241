// A steady-state forward step allocates nothing: this binary replaces the
// global operator new with a counting one and checks the count does not
// move across repeated decode steps and a prefill.
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
  auto loaded = load_model(dir / "model.gguf", LoadOptions{8});
  ASSERT_GT(g_allocations.load(), before_load) << "the counting operator new is not in use";
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  Model& model = **loaded;
  auto cache = model.make_kv_cache(2, 64);
  const int64_t vocab = model.config().vocab;

  const std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6}, positions = {0, 1, 2, 3, 4, 5}, slots(6, 0);
  const std::vector<uint8_t> last_only = {0, 0, 0, 0, 0, 1};
  std::vector<int32_t> step_token = {7, 9}, step_position = {6, 0}, step_slot = {0, 1};
  const std::vector<uint8_t> both = {1, 1};
  std::vector<float> logits(2 * static_cast<size_t>(vocab));
  // Warm-up: the thread pool and anything lazily created start here.
  ASSERT_TRUE(model.forward({prompt, positions, slots, last_only}, *cache, {logits.data(), size_t(vocab)}).ok());

  const uint64_t before = g_allocations.load();
  for (int32_t step = 0; step < 20; ++step) {
    step_position = {6 + step, step};
    Status status = model.forward({step_token, step_position, step_slot, both}, *cache, logits);
    ASSERT_TRUE(status.ok());
  }
  EXPECT_EQ(g_allocations.load() - before, 0u);
}

}  // namespace
}  // namespace keel::testing
