// Incremental decoder of HTTP/1.1 chunked transfer coding: bytes go in as
// the socket delivers them, body bytes come out at once, so a streamed
// token is timed when it arrives, not when the response ends.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace keel::bench {

class ChunkedDecoder {
 public:
  using Sink = std::function<void(std::string_view)>;

  // Decodes `bytes`, passing body bytes to `sink`. An Error means the peer
  // broke the framing; the decoder is then unusable.
  Status feed(std::string_view bytes, const Sink& sink);

  // True once the last (zero-size) chunk and its trailers have been read.
  bool finished() const { return state_ == State::kDone; }

 private:
  enum class State { kSizeLine, kData, kDataEnd, kTrailers, kDone };
  Status parse_size_line();

  State state_ = State::kSizeLine;
  std::string line_;          // the size line or trailer line read so far
  uint64_t remaining_ = 0;    // data bytes left in the current chunk
};

}  // namespace keel::bench
