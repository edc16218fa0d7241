#include "bench/server_memory.h"

#include <algorithm>
#include <chrono>

#include "bench/metrics_scrape.h"

namespace keel::bench {

nlohmann::json server_memory_json(const ServerMemory& memory) {
  return {{"rss_start_bytes", memory.start_bytes},
          {"rss_peak_bytes", memory.peak_bytes},
          {"rss_final_bytes", memory.final_bytes},
          {"rss_growth_bytes", memory.growth_bytes()}};
}

ServerMemorySampler::ServerMemorySampler(EndpointConfig endpoint, std::string metrics_path, double interval_s)
    : endpoint_(std::move(endpoint)), metrics_path_(std::move(metrics_path)), interval_s_(interval_s) {
  if (const auto start = sample()) {
    memory_ = ServerMemory{*start, *start, *start};
    thread_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      while (!wake_.wait_for(lock, std::chrono::duration<double>(interval_s_), [this] { return stopping_; })) {
        lock.unlock();
        const auto now = sample();  // the scrape holds no lock
        lock.lock();
        if (now) memory_->peak_bytes = std::max(memory_->peak_bytes, *now);
      }
    });
  }
}

ServerMemorySampler::~ServerMemorySampler() { stop_sampling(); }

void ServerMemorySampler::stop_sampling() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<ServerMemory> ServerMemorySampler::finish() {
  stop_sampling();
  if (!memory_) return std::nullopt;
  if (const auto final_sample = sample()) {
    memory_->final_bytes = *final_sample;
    memory_->peak_bytes = std::max(memory_->peak_bytes, *final_sample);
  }
  return memory_;
}

std::optional<double> ServerMemorySampler::sample() const {
  return scrape_metrics(endpoint_, metrics_path_).value("process_resident_memory_bytes");
}

}  // namespace keel::bench
