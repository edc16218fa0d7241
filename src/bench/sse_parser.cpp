#include "bench/sse_parser.h"

namespace keel::bench {

void SseParser::feed(std::string_view bytes, const EventSink& sink) {
  for (const char c : bytes) {
    if (c == '\n') {
      end_line(sink);
    } else if (c != '\r') {  // CRLF and LF line ends are both allowed
      line_ += c;
    }
  }
}

void SseParser::end_line(const EventSink& sink) {
  std::string_view line = line_;
  if (line.empty()) {  // blank line: the event is complete
    if (has_data_) sink(data_);
    data_.clear();
    has_data_ = false;
  } else if (line.starts_with("data:")) {
    line.remove_prefix(5);
    if (line.starts_with(' ')) line.remove_prefix(1);
    if (has_data_) data_ += '\n';
    data_.append(line);
    has_data_ = true;
  }  // comments (":"), event:, id: and retry: lines carry nothing a benchmark needs
  line_.clear();
}

bool SseParser::flush(const EventSink& sink) {
  if (!line_.empty()) end_line(sink);
  if (!has_data_) return false;
  sink(data_);
  data_.clear();
  has_data_ = false;
  return true;
}

}  // namespace keel::bench
