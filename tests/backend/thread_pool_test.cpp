// ThreadPool::parallel_for: every index is covered exactly once, across many
// back-to-back jobs, whatever the number of threads — also with more threads
// than cores, where workers are often not scheduled and the caller claims
// their chunks.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include <dirent.h>
#include <sched.h>

#include "backend/cpu/thread_pool.h"
#include "backend/cpu/usable_cpus.h"

namespace keel {
namespace {

void expect_each_index_once(ThreadPool& pool, int64_t n) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  const std::function<void(int64_t, int64_t)> body = [&](int64_t begin, int64_t end) {
    ASSERT_LE(0, begin);
    ASSERT_LE(begin, end);
    ASSERT_LE(end, n);
    for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
  };
  pool.parallel_for(n, body);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "index " << i << " of " << n;
}

TEST(ThreadPoolTest, EveryIndexOnceForEveryThreadCountAndSize) {
  for (unsigned threads : {1u, 2u, 3u, 4u}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int round = 0; round < 200; ++round)
      for (int64_t n : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{7}, int64_t{64}}) expect_each_index_once(pool, n);
  }
}

// Four times as many threads as this machine has cores (at least 8): the
// jobs still finish and still cover every index once.
TEST(ThreadPoolTest, OversubscribedPoolCompletesEveryJob) {
  const unsigned threads = std::max(8u, 4 * std::max(1u, std::thread::hardware_concurrency()));
  ThreadPool pool(threads);
  for (int round = 0; round < 300; ++round) expect_each_index_once(pool, 5 + round % 40);
}

// Two callers at once (two engines on the global pool while a reload runs
// the new model beside the old): each job still covers its own indexes
// exactly once. Without the pool's caller lock the second job overwrote
// the first's, and chunks ran the wrong function or none.
TEST(ThreadPoolTest, ConcurrentCallersTakeTurns) {
  ThreadPool pool(3);
  auto caller = [&pool](int64_t n) {
    for (int round = 0; round < 20000; ++round) expect_each_index_once(pool, n + round % 5);
  };
  std::thread other(caller, 11);
  caller(29);
  other.join();
}

// Results written by the chunks are visible to the caller when
// parallel_for returns (the hand-back is a release/acquire pair).
TEST(ThreadPoolTest, ChunkResultsAreVisibleAfterReturn) {
  ThreadPool pool(3);
  std::vector<int64_t> out(1000);
  for (int round = 0; round < 100; ++round) {
    const std::function<void(int64_t, int64_t)> body = [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) out[static_cast<size_t>(i)] = i * round;
    };
    pool.parallel_for(static_cast<int64_t>(out.size()), body);
    for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], static_cast<int64_t>(i) * round);
  }
}

// A worker that is not running (here: asleep, as after an idle spell; on a
// busy machine: not scheduled) does not hold the job up: the caller claims
// its chunk. With chunks assigned to threads, chunk 1 would always wait for
// the worker to wake; with claiming, the caller usually takes it first.
TEST(ThreadPoolTest, CallerRunsTheChunksOfAWorkerThatIsNotRunning) {
  ThreadPool pool(2);
  int caller_ran_everything = 0;
  for (int trial = 0; trial < 20; ++trial) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the worker stops spinning and sleeps
    std::atomic<int> on_caller{0};
    const std::thread::id caller = std::this_thread::get_id();
    const std::function<void(int64_t, int64_t)> body = [&](int64_t, int64_t) {
      if (std::this_thread::get_id() == caller) on_caller.fetch_add(1);
    };
    pool.parallel_for(2, body);
    if (on_caller.load() == 2) ++caller_ran_everything;
  }
  EXPECT_GT(caller_ran_everything, 0);
}

// The threads of this process, from /proc/self/task.
int process_threads() {
  int count = 0;
  if (DIR* tasks = opendir("/proc/self/task")) {
    while (const dirent* entry = readdir(tasks))
      if (entry->d_name[0] != '.') ++count;
    closedir(tasks);
  }
  return count;
}

// Confines the calling thread to its first usable CPU for the scope, as
// `taskset -c` or a container's cpuset confines a whole process.
class OneCpuAffinity {
 public:
  OneCpuAffinity() {
    sched_getaffinity(0, sizeof saved_, &saved_);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(usable_cpus().front(), &one);
    confined_ = sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~OneCpuAffinity() { sched_setaffinity(0, sizeof saved_, &saved_); }
  bool confined() const { return confined_; }

 private:
  cpu_set_t saved_;
  bool confined_ = false;
};

// The regression of issue 11: a pool sized to the machine's CPUs in a
// process allowed fewer of them runs more compute threads than CPUs, and
// each parallel_for then waits for whichever is descheduled. The default
// pool is the caller plus one worker per other usable CPU: exactly that
// many OS threads more.
TEST(ThreadPoolTest, DefaultPoolHasOneThreadPerUsableCpuCallerIncluded) {
  const int before = process_threads();
  {
    ThreadPool pool;
    EXPECT_EQ(pool.size(), usable_cpu_count());
    EXPECT_EQ(process_threads() - before, static_cast<int>(usable_cpu_count()) - 1);
  }
  EXPECT_EQ(process_threads(), before);
}

TEST(ThreadPoolTest, DefaultPoolFollowsTheAffinityMaskNotTheMachine) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs a machine of two CPUs or more";
  OneCpuAffinity one_cpu;
  ASSERT_TRUE(one_cpu.confined());
  EXPECT_EQ(usable_cpu_count(), 1u);
  const int before = process_threads();
  ThreadPool pool;
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(process_threads(), before);  // no worker: the caller runs every chunk
  expect_each_index_once(pool, 64);
}

// --threads sizes the process-wide pool before its first use; afterwards
// only the size it already has is accepted. (ctest runs each test in a
// process of its own, so this one makes the global pool.)
TEST(ThreadPoolTest, GlobalPoolTakesItsSizeBeforeFirstUseOnly) {
  EXPECT_FALSE(ThreadPool::set_global_size(0));
  ASSERT_TRUE(ThreadPool::set_global_size(3));
  EXPECT_EQ(ThreadPool::global().size(), 3u);
  EXPECT_TRUE(ThreadPool::set_global_size(3));
  EXPECT_FALSE(ThreadPool::set_global_size(2));
  EXPECT_EQ(ThreadPool::global().size(), 3u);
}

}  // namespace
}  // namespace keel
