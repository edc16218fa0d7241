#include "bench/openai_client.h"

#include <nlohmann/json.hpp>

#include "bench/sse_parser.h"

namespace keel::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// The text a chunk adds to the output, in either endpoint's shape.
std::string chunk_text(const nlohmann::json& chunk) {
  const auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty()) return {};
  const nlohmann::json& choice = choices->front();
  std::string text;
  if (const auto delta = choice.find("delta"); delta != choice.end() && delta->is_object()) {
    for (const char* field : {"content", "reasoning_content"})
      if (const auto piece = delta->find(field); piece != delta->end() && piece->is_string())
        text += piece->get<std::string>();
  }
  if (const auto piece = choice.find("text"); piece != choice.end() && piece->is_string())
    text += piece->get<std::string>();
  return text;
}

bool chunk_finished(const nlohmann::json& chunk) {
  const auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array()) return false;
  for (const auto& choice : *choices)
    if (const auto reason = choice.find("finish_reason"); reason != choice.end() && reason->is_string()) return true;
  return false;
}

// Everything the stream said, folded as it arrives.
struct StreamState {
  Clock::time_point sent;
  Clock::time_point last_chunk;
  bool saw_text = false;
  bool saw_finish = false;
  bool saw_done = false;
  bool saw_usage = false;
  int64_t text_chunks = 0;
  std::string failure, failure_detail;
  RequestRecord* record = nullptr;

  void on_event(std::string_view data) {
    if (!failure.empty()) return;
    if (data == "[DONE]") {
      saw_done = true;
      return;
    }
    const auto now = Clock::now();
    nlohmann::json chunk = nlohmann::json::parse(data, nullptr, false);
    if (chunk.is_discarded() || !chunk.is_object()) {
      failure = "bad chunk";
      failure_detail = "unparseable SSE data: " + std::string(data.substr(0, 200));
      return;
    }
    if (chunk.contains("error")) {
      failure = "error event";
      failure_detail = chunk["error"].dump();
      return;
    }
    if (!chunk_text(chunk).empty()) {
      if (!saw_text) {
        record->ttft_s = seconds_between(sent, now);
      } else {
        record->itl_s.push_back(seconds_between(last_chunk, now));
      }
      saw_text = true;
      last_chunk = now;
      ++text_chunks;
    }
    saw_finish = saw_finish || chunk_finished(chunk);
    if (const auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
      saw_usage = true;
      record->prompt_tokens = usage->value("prompt_tokens", int64_t{0});
      record->output_tokens = usage->value("completion_tokens", int64_t{0});
      if (const auto details = usage->find("prompt_tokens_details"); details != usage->end() && details->is_object())
        record->cached_tokens = details->value("cached_tokens", int64_t{0});
    }
  }
};

std::string failure_category(const std::string& transport_error) {
  if (transport_error == "cancelled") return "cancelled";
  if (transport_error == "timed out") return "timeout";
  return "connection";
}

}  // namespace

std::string openai_request_body(const EndpointConfig& config, const RequestSpec& spec) {
  nlohmann::json body;
  if (!config.model.empty()) body["model"] = config.model;
  if (config.endpoint == Endpoint::kChat) {
    body["messages"] = nlohmann::json::array();
    for (const auto& message : spec.messages)
      body["messages"].push_back({{"role", message.role}, {"content", message.content}});
  } else {
    std::string prompt;
    for (const auto& message : spec.messages) prompt += (prompt.empty() ? "" : "\n") + message.content;
    body["prompt"] = prompt;
  }
  body["max_tokens"] = spec.output_tokens;
  if (config.ignore_eos) {
    // vLLM, llama.cpp's server and keel honour these; together they fix the
    // output length, so two runs do the same work.
    body["ignore_eos"] = true;
    body["min_tokens"] = spec.output_tokens;
  }
  body["temperature"] = 0;
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  return body.dump();
}

RequestRecord send_streaming_request(const EndpointConfig& config, const RequestSpec& spec,
                                     Clock::time_point run_start, const std::atomic<bool>* cancel) {
  RequestRecord record;
  record.requested_output_tokens = spec.output_tokens;
  HttpRequest request;
  request.method = "POST";
  request.path = config.endpoint == Endpoint::kChat ? "/v1/chat/completions" : "/v1/completions";
  request.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}};
  if (!config.api_key.empty()) request.headers.emplace_back("Authorization", "Bearer " + config.api_key);
  request.body = openai_request_body(config, spec);
  request.cancel = cancel;

  StreamState stream;
  stream.record = &record;
  stream.sent = Clock::now();
  request.deadline = stream.sent + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(config.request_timeout_s));
  record.start_s = seconds_between(run_start, stream.sent);

  SseParser parser;
  std::string error_body;  // a non-200 answer's body, kept for the log
  const auto on_event = [&stream](std::string_view data) { stream.on_event(data); };
  auto response = http_exchange(config.url, request, [&](std::string_view bytes) {
    if (error_body.size() < 512) error_body.append(bytes.substr(0, 512 - error_body.size()));
    parser.feed(bytes, on_event);
  });
  const auto finished = Clock::now();
  record.e2e_s = seconds_between(stream.sent, finished);
  if (!response.ok()) {
    record.failure = failure_category(response.error().message);
    record.failure_detail = response.error().message;
    return record;
  }
  record.http_status = response->status;
  if (response->status != 200) {
    record.failure = "http " + std::to_string(response->status);
    record.failure_detail = error_body;
    return record;
  }
  parser.flush(on_event);
  if (!stream.saw_usage) record.output_tokens = stream.text_chunks;
  if (!stream.failure.empty()) {
    record.failure = stream.failure;
    record.failure_detail = stream.failure_detail;
  } else if (!response->body_complete || !stream.saw_done || !stream.saw_finish) {
    record.failure = "truncated";
    record.failure_detail = "the stream ended without a finish_reason and [DONE]";
  } else if (!stream.saw_text) {
    record.failure = "empty";
    record.failure_detail = "no output text";
  } else if (config.ignore_eos && record.output_tokens < spec.output_tokens) {
    record.failure = "short output";
    record.failure_detail = std::to_string(record.output_tokens) + " of " + std::to_string(spec.output_tokens) +
                            " tokens";
  } else {
    record.ok = true;
  }
  return record;
}

}  // namespace keel::bench
