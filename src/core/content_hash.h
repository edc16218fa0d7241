// content_hash: a 64-bit fingerprint of a model's bytes (a file, or every
// regular file of a directory, by name order), shown as 16 hex digits in
// /v1/models and keel:build_info so that an operator can tell which weights
// a server runs after a reload. It identifies content; it is no defence
// against someone who crafts a collision. Reads the files once, in 1 MiB
// pieces (about 2-6 GB/s from the page cache).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "core/result.h"

namespace keel {

// Streams bytes into a hash: the same bytes in any split give the same value.
class ContentHasher {
 public:
  void update(std::span<const std::byte> bytes);
  uint64_t finish() const;

 private:
  void mix_block(const std::byte* block);  // 32 bytes into the four lanes

  uint64_t lanes_[4] = {0x243f6a8885a308d3ull, 0x13198a2e03707344ull, 0xa4093822299f31d0ull, 0x082efa98ec4e6c89ull};
  std::byte pending_[32] = {};
  size_t pending_bytes_ = 0;
  uint64_t total_bytes_ = 0;
};

// The fingerprint of a file, or of a directory's regular files (each one's
// name and bytes, in name order; subdirectories are not entered).
Result<uint64_t> content_hash(const std::filesystem::path& path);
std::string content_hash_hex(uint64_t hash);

}  // namespace keel
