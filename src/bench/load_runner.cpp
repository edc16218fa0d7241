#include "bench/load_runner.h"

#include <cmath>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "bench/arrival_schedule.h"

namespace keel::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kStopCheck = std::chrono::milliseconds(50);

// Requests in flight: one thread each, reaped as they finish. A thread per
// request keeps timing exact (no request waits behind another's parsing)
// and the cap keeps the count bounded.
class InFlight {
 public:
  // Waits until fewer than `cap` are running (cap 0: no wait) or `stop`.
  bool wait_for_slot(int32_t cap, const std::atomic<bool>& stop) {
    std::unique_lock lock(mutex_);
    while (cap > 0 && running_ >= cap) {
      if (stop.load()) return false;
      changed_.wait_for(lock, kStopCheck);
    }
    return !stop.load();
  }

  void start(std::function<void()> work) {
    reap();
    std::lock_guard lock(mutex_);
    ++running_;
    auto done = std::make_shared<std::atomic<bool>>(false);
    threads_.push_back({std::thread([this, work = std::move(work), done] {
                          work();
                          done->store(true);
                          std::lock_guard finished(mutex_);
                          --running_;
                          changed_.notify_all();
                        }),
                        done});
  }

  void join_all() {
    for (auto& entry : threads_) entry.thread.join();
    threads_.clear();
  }

 private:
  struct Entry {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  void reap() {
    for (auto it = threads_.begin(); it != threads_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = threads_.erase(it);
      } else {
        ++it;
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  int32_t running_ = 0;
  std::list<Entry> threads_;  // touched only by the dispatching thread
};

// Sleeps until `when`, waking early for `stop`; false when stopped.
bool sleep_until(Clock::time_point when, const std::atomic<bool>& stop) {
  while (Clock::now() < when) {
    if (stop.load()) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(when - Clock::now(), kStopCheck));
  }
  return !stop.load();
}

}  // namespace

Status validate(const LoadShape& shape) {
  if (!(shape.request_rate > 0)) return Error{"--request-rate must be positive or 'inf'"};
  if (!(shape.burstiness > 0)) return Error{"--burstiness must be positive"};
  if (shape.max_concurrency < 0) return Error{"--max-concurrency must not be negative"};
  if (shape.num_requests == 0 && shape.duration_s <= 0) return Error{"give --num-requests or --duration"};
  if (shape.duration_s > 0 && std::isinf(shape.request_rate) && shape.max_concurrency == 0)
    return Error{"--duration with an infinite --request-rate needs --max-concurrency"};
  return ok_status();
}

void run_load(const EndpointConfig& endpoint, const Workload& workload, const LoadShape& shape,
              Clock::time_point run_start, const std::atomic<bool>& stop, const RecordSink& on_record) {
  ArrivalSchedule arrivals(shape.request_rate, shape.burstiness, shape.seed);
  const Clock::time_point end = shape.duration_s > 0
                                    ? run_start + std::chrono::duration_cast<Clock::duration>(
                                                      std::chrono::duration<double>(shape.duration_s))
                                    : Clock::time_point::max();
  std::mutex report_mutex;
  InFlight in_flight;
  Clock::time_point next_arrival = run_start;
  for (uint64_t index = 0; shape.num_requests == 0 || index < shape.num_requests; ++index) {
    next_arrival += std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(index == 0 ? 0.0 : arrivals.next_gap_seconds()));
    if (next_arrival >= end || !sleep_until(next_arrival, stop)) break;
    if (!in_flight.wait_for_slot(shape.max_concurrency, stop) || Clock::now() >= end) break;
    RequestSpec spec = workload.request(index);
    in_flight.start([&, spec = std::move(spec)] {
      RequestRecord record = send_streaming_request(endpoint, spec, run_start, &stop);
      if (record.failure == "cancelled") return;
      std::lock_guard lock(report_mutex);
      on_record(record);
    });
  }
  in_flight.join_all();
}

}  // namespace keel::bench
