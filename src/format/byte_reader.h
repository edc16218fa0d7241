// ByteReader: a bounds-checked cursor over untrusted little-endian bytes.
//
// Every read checks the remaining length first and reports failure instead
// of reading past the end, so a parser built on it cannot overrun its input.
// The reader does not build error messages: the parser knows what it was
// reading and says so, naming the offset the reader reports.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace keel {

static_assert(std::endian::native == std::endian::little,
              "keel's file readers assume a little-endian host, like the formats they read");

class ByteReader {
 public:
  ByteReader(const std::byte* data, size_t size) : data_(data), size_(size) {}

  size_t offset() const { return offset_; }
  size_t remaining() const { return size_ - offset_; }
  const std::byte* cursor() const { return data_ + offset_; }

  // Reads one little-endian scalar (integer or float); false if too few bytes remain.
  template <class T>
  bool read(T* out) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (remaining() < sizeof(T)) return false;
    std::memcpy(out, data_ + offset_, sizeof(T));
    offset_ += sizeof(T);
    return true;
  }

  // Points `out` at the next `n` bytes and moves past them.
  bool read_bytes(uint64_t n, const std::byte** out) {
    if (n > remaining()) return false;
    *out = data_ + offset_;
    offset_ += static_cast<size_t>(n);
    return true;
  }

  bool read_chars(uint64_t n, std::string_view* out) {
    const std::byte* start = nullptr;
    if (!read_bytes(n, &start)) return false;
    *out = std::string_view(reinterpret_cast<const char*>(start), static_cast<size_t>(n));
    return true;
  }

 private:
  const std::byte* data_;
  size_t size_;
  size_t offset_ = 0;
};

}  // namespace keel
