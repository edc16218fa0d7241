// ByteBuilder: assembles little-endian test files field by field, so tests
// can write GGUF headers that GgufWriter would refuse to produce
// (hostile counts, bad types, odd alignment).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace keel::testing {

class ByteBuilder {
 public:
  template <class T>
  ByteBuilder& put(T value) {
    const size_t at = bytes_.size();
    bytes_.resize(at + sizeof(T));
    std::memcpy(bytes_.data() + at, &value, sizeof(T));
    return *this;
  }
  ByteBuilder& u32(uint32_t value) { return put(value); }
  ByteBuilder& u64(uint64_t value) { return put(value); }
  ByteBuilder& i64(int64_t value) { return put(value); }
  ByteBuilder& raw(std::string_view text) {
    for (char c : text) bytes_.push_back(static_cast<std::byte>(c));
    return *this;
  }
  // GGUF string: u64 length, then the bytes.
  ByteBuilder& str(std::string_view text) { return u64(text.size()).raw(text); }
  ByteBuilder& zeros(size_t n) {
    bytes_.resize(bytes_.size() + n, std::byte{0});
    return *this;
  }
  ByteBuilder& pad_to(size_t alignment) {
    while (bytes_.size() % alignment != 0) bytes_.push_back(std::byte{0});
    return *this;
  }
  // GGUF header: magic, version, tensor count, metadata count.
  ByteBuilder& gguf_header(int64_t n_tensors, int64_t n_kv, uint32_t version = 3) {
    return raw("GGUF").u32(version).i64(n_tensors).i64(n_kv);
  }

  const std::vector<std::byte>& bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }

 private:
  std::vector<std::byte> bytes_;
};

// A safetensors image: u64 header length, the JSON text, then the buffer.
inline std::vector<std::byte> safetensors_image(std::string_view json, size_t buffer_bytes, uint8_t fill = 0) {
  ByteBuilder builder;
  builder.u64(json.size()).raw(json);
  std::vector<std::byte> out = builder.bytes();
  out.resize(out.size() + buffer_bytes, std::byte{fill});
  return out;
}

}  // namespace keel::testing
