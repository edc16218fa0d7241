// ThreadPool: a fixed set of worker threads that run one parallel_for at a
// time. Created once at start; running a job allocates nothing.
//
// Size: a pool of N threads is N - 1 workers plus the thread that calls
// parallel_for, which runs chunks too. The default N is the number of CPUs
// this process may run on (its affinity mask, usable_cpus.h), so that the
// step's thread and the workers each have a CPU: one thread more than CPUs
// and two of them take turns on one CPU, each parallel_for then waiting for
// whichever is descheduled. Workers are not pinned to CPUs: measured on
// the development machine, a pinned worker next to an unpinned caller
// (the engine thread, which is not the pool's to place) cut one-stream
// decode through `keel serve` to about 0.6x, most likely by the scheduler
// waking the engine thread onto the worker's CPU (docs/performance.md,
// "Compute threads").
//
// Hand-off: a decode step runs dozens of short parallel_for calls back to
// back, so the hand-off must cost microseconds: workers spin for a short
// time after each job, watching for the next one, and only then sleep on a
// condition variable (so an idle server uses no CPU).
//
// Chunks are claimed, not assigned: the caller and each worker take the
// next unclaimed chunk until none is left. On a machine whose cores are
// shared with other processes a worker may not get scheduled for
// milliseconds; the caller then runs that worker's chunks itself instead of
// waiting for it, so a step slows down by the lost core, not by a
// scheduler time slice per parallel_for.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace keel {

class ThreadPool {
 public:
  // `threads` counts the calling thread: threads - 1 workers are started.
  // 0 means one thread per usable CPU.
  explicit ThreadPool(unsigned threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }

  // Calls fn(begin, end) on disjoint chunks covering [0, n), spread over the
  // workers and the calling thread; returns when all chunks are done.
  // `fn` is borrowed for the duration of the call (no copy, no allocation).
  // Callers on several threads take turns (two engines share the global
  // pool while a reload runs the new model beside the old one); fn must not
  // call parallel_for itself.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn);

  // The process-wide pool used by the CPU backend, made on first use with
  // the size set_global_size gave, else KEEL_THREADS, else one thread per
  // usable CPU.
  static ThreadPool& global();
  // Sets the global pool's size (`--threads`). Only before its first use:
  // returns false, changing nothing, once the pool exists with another size.
  static bool set_global_size(unsigned threads);

 private:
  void worker_loop();
  // Claims and runs chunks of job `generation` until none is left.
  void run_chunks(uint64_t generation);
  // Waits until generation_ differs from `seen` (returns true) or the pool
  // stops (returns false): spins first, then sleeps.
  bool wait_for_job(uint64_t seen);

  std::vector<std::thread> workers_;
  // The current job; written before generation_ is bumped, read after.
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t job_size_ = 0;
  std::atomic<uint64_t> generation_{0};  // bumped once per job
  // The job's generation (high 32 bits) and its next unclaimed chunk (low
  // 32 bits), in one word so that a thread still holding an older job's
  // generation cannot claim a chunk of the new one.
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> chunks_done_{0};  // chunks of the current job finished
  std::atomic<unsigned> sleeping_{0};    // workers blocked on work_ready_
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::mutex caller_;  // one parallel_for at a time; uncontended (cheap) with one engine
};

}  // namespace keel
