// Incremental parser of a text/event-stream body: it turns bytes into
// events as soon as each event's blank line arrives. OpenAI-compatible
// servers send one JSON object per `data:` event and `data: [DONE]` last.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace keel::bench {

class SseParser {
 public:
  // Receives the data of one event (several data: lines joined with '\n').
  using EventSink = std::function<void(std::string_view data)>;

  void feed(std::string_view bytes, const EventSink& sink);

  // Delivers an event whose blank line never came (a stream cut at the end).
  // Returns true when there was one.
  bool flush(const EventSink& sink);

 private:
  void end_line(const EventSink& sink);

  std::string line_;
  std::string data_;
  bool has_data_ = false;
};

}  // namespace keel::bench
