// Utf8Stream: turns a stream of token bytes into valid UTF-8 text without
// allocating. A character split across tokens is held back until complete;
// invalid bytes become U+FFFD, one per maximal invalid subpart (as Python's
// bytes.decode("utf-8", "replace") and IncrementalDetokenizer do). The
// caller's output buffer must have room reserved (3 × the bytes pushed,
// at most) for the no-allocation promise to hold.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace keel {

class Utf8Stream {
 public:
  // `max_piece`: the longest byte string one push may bring.
  explicit Utf8Stream(size_t max_piece);

  // Appends to `out` the text that `bytes` completes.
  void push(std::string_view bytes, std::string& out);
  // Appends whatever is held back (an unfinished character becomes U+FFFD).
  void flush(std::string& out);

 private:
  std::string pending_;  // at most 3 bytes of an unfinished character between pushes
};

// Appends `text` to `out` with each maximal invalid subpart replaced by U+FFFD.
void append_sanitized(std::string_view text, std::string& out);

}  // namespace keel
