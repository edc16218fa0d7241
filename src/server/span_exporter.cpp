#include "server/span_exporter.h"

#include "core/log.h"
#include "server/otlp_json.h"

namespace keel::server {

SpanExporter::SpanExporter(OtlpEndpoint endpoint, std::string service_version)
    : endpoint_(std::move(endpoint)), service_version_(std::move(service_version)), thread_([this] { run(); }) {}

SpanExporter::~SpanExporter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool SpanExporter::offer(std::vector<Span> spans) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() + spans.size() > kQueueCapacity) {
      dropped_queue_full_.fetch_add(spans.size());
      return false;
    }
    for (Span& span : spans) queue_.push_back(std::move(span));
    if (queue_.size() < kMaxBatch) return true;
  }
  wake_.notify_one();  // a full batch goes now; a smaller one waits for the flush interval
  return true;
}

SpanExporterStats SpanExporter::stats() const {
  return {exported_.load(), dropped_queue_full_.load(), dropped_export_failed_.load()};
}

void SpanExporter::run() {
  std::vector<Span> batch;
  batch.reserve(kMaxBatch);
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait_for(lock, kFlushInterval, [this] { return stopping_ || queue_.size() >= kMaxBatch; });
    const bool last = stopping_;
    while (!queue_.empty()) {
      const size_t n = std::min(queue_.size(), kMaxBatch);
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + n));
      queue_.erase(queue_.begin(), queue_.begin() + n);
      lock.unlock();  // the network wait holds no lock: offer() goes on queueing meanwhile
      const bool sent = export_batch(batch);
      lock.lock();
      if (!last) break;  // one batch per wake; the rest after the next wait
      if (!sent) {
        // Shutting down with the collector away: one try, not one per batch
        // (each may take the export timeout), so a drain is not held up.
        dropped_export_failed_.fetch_add(queue_.size());
        queue_.clear();
      }
    }
    if (last) return;
  }
}

bool SpanExporter::export_batch(std::vector<Span>& batch) {
  const Status sent = post_otlp_json(endpoint_, otlp_json_export_request(batch, service_version_), kExportTimeout);
  if (sent.ok()) {
    exported_.fetch_add(batch.size());
  } else {
    dropped_export_failed_.fetch_add(batch.size());
    // One line per failed export: at most one a second while the collector is away.
    spdlog::warn("tracing: {} span(s) dropped: {}", batch.size(), sent.error().message);
  }
  batch.clear();
  return sent.ok();
}

}  // namespace keel::server
