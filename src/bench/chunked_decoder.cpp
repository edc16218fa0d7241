#include "bench/chunked_decoder.h"

#include <charconv>

namespace keel::bench {
namespace {
constexpr size_t kMaxLine = 4096;  // a size line or trailer longer than this is not HTTP
}

Status ChunkedDecoder::parse_size_line() {
  std::string_view line = line_;
  if (const size_t semicolon = line.find(';'); semicolon != std::string_view::npos) line = line.substr(0, semicolon);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  uint64_t size = 0;
  const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
  if (line.empty() || error != std::errc() || end != line.data() + line.size())
    return Error{"bad chunk size line '" + line_ + "'"};
  remaining_ = size;
  state_ = size == 0 ? State::kTrailers : State::kData;
  line_.clear();
  return ok_status();
}

Status ChunkedDecoder::feed(std::string_view bytes, const Sink& sink) {
  while (!bytes.empty() && state_ != State::kDone) {
    if (state_ == State::kData) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size()));
      if (take > 0) sink(bytes.substr(0, take));
      bytes.remove_prefix(take);
      remaining_ -= take;
      if (remaining_ == 0) state_ = State::kDataEnd;
      continue;
    }
    // The other states read one CRLF-terminated line at a time.
    const char c = bytes.front();
    bytes.remove_prefix(1);
    if (c != '\n') {
      if (c != '\r') line_ += c;
      if (line_.size() > kMaxLine) return Error{"chunk framing line too long"};
      continue;
    }
    switch (state_) {
      case State::kSizeLine: KEEL_TRY(parse_size_line()); break;
      case State::kDataEnd:
        if (!line_.empty()) return Error{"chunk data longer than its declared size"};
        state_ = State::kSizeLine;
        break;
      case State::kTrailers:
        if (line_.empty()) state_ = State::kDone;  // the blank line that ends the message
        line_.clear();
        break;
      case State::kData:
      case State::kDone: break;
    }
  }
  return ok_status();
}

}  // namespace keel::bench
