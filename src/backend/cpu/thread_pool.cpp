#include "backend/cpu/thread_pool.h"

#include <algorithm>
#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "backend/cpu/usable_cpus.h"

namespace keel {
namespace {

// About 0.5 ms of spinning on the development machine's AMD EPYC (a PAUSE
// is ~25 ns there): longer than the gap between two ops of one forward
// step, far shorter than the gap between requests. A spin bounded in time
// instead (200 us for workers, 50 us for the caller) measured slower through
// `keel serve` on a 1.37 GB model (docs/performance.md, "Compute threads").
constexpr int kSpinIterations = 20000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// The global pool's size, as set_global_size (or nothing: 0) left it.
std::atomic<unsigned> requested_global_size{0};
std::atomic<bool> global_made{false};

unsigned global_size() {
  if (const unsigned requested = requested_global_size.load()) return requested;
  // KEEL_THREADS sets it for benchmarks and tests that cannot pass --threads.
  if (const char* env = std::getenv("KEEL_THREADS")) return static_cast<unsigned>(std::max(1, std::atoi(env)));
  return usable_cpu_count();
}

}  // namespace

ThreadPool::ThreadPool(unsigned threads) {
  if (threads == 0) threads = usable_cpu_count();
  for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
  }
  work_ready_.notify_all();
  for (auto& worker : workers_) worker.join();
}

ThreadPool& ThreadPool::global() {
  static ThreadPool pool([] {
    global_made.store(true);
    return global_size();
  }());
  return pool;
}

bool ThreadPool::set_global_size(unsigned threads) {
  if (threads == 0) return false;
  if (global_made.load()) return global().size() == threads;
  requested_global_size.store(threads);
  return true;
}

void ThreadPool::run_chunks(uint64_t generation) {
  const uint64_t tag = generation & 0xFFFFFFFFu;
  const int64_t parts = size();
  uint64_t claim = claim_.load(std::memory_order_acquire);
  for (;;) {
    if ((claim >> 32) != tag) return;  // a later job: this thread has not seen it yet
    const int64_t index = static_cast<int64_t>(claim & 0xFFFFFFFFu);
    if (index >= parts) return;        // every chunk is taken
    if (!claim_.compare_exchange_weak(claim, claim + 1, std::memory_order_acq_rel)) continue;
    const int64_t begin = job_size_ * index / parts;
    const int64_t end = job_size_ * (index + 1) / parts;
    if (begin < end) (*job_)(begin, end);
    chunks_done_.fetch_add(1, std::memory_order_release);
    claim = claim_.load(std::memory_order_acquire);
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> one_job_at_a_time(caller_);
  job_ = &fn;
  job_size_ = n;
  chunks_done_.store(0, std::memory_order_relaxed);
  const uint64_t generation = generation_.load(std::memory_order_relaxed) + 1;
  claim_.store((generation & 0xFFFFFFFFu) << 32, std::memory_order_release);
  // Sequentially consistent: either a worker about to sleep sees the new
  // generation, or this thread sees it sleeping and wakes it.
  generation_.store(generation);
  if (sleeping_.load() > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    work_ready_.notify_all();
  }
  run_chunks(generation);
  // Every chunk is claimed; wait for those other threads are still running.
  const int64_t parts = size();
  for (int spins = 0; chunks_done_.load(std::memory_order_acquire) != parts; ++spins) {
    if (spins < kSpinIterations) cpu_relax();
    else std::this_thread::yield();
  }
  job_ = nullptr;
}

bool ThreadPool::wait_for_job(uint64_t seen) {
  for (int spins = 0; spins < kSpinIterations; ++spins) {
    if (generation_.load(std::memory_order_acquire) != seen) return true;
    if (stopping_.load(std::memory_order_relaxed)) return false;
    cpu_relax();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  sleeping_.fetch_add(1);
  work_ready_.wait(lock, [&] { return stopping_.load() || generation_.load() != seen; });
  sleeping_.fetch_sub(1);
  return !stopping_.load();
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  while (wait_for_job(seen)) {
    seen = generation_.load(std::memory_order_acquire);
    run_chunks(seen);
  }
}

}  // namespace keel
