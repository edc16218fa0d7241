#include "core/content_hash.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace keel {
namespace {

constexpr uint64_t kPrime1 = 0x9e3779b185ebca87ull;
constexpr uint64_t kPrime2 = 0xc2b2ae3d27d4eb4full;

uint64_t rotate_left(uint64_t x, int bits) { return (x << bits) | (x >> (64 - bits)); }

uint64_t load_word(const std::byte* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;  // little-endian hosts only, as the rest of keel
}

// Spreads every input bit over the whole word (a final avalanche).
uint64_t avalanche(uint64_t x) {
  x ^= x >> 33;
  x *= kPrime2;
  x ^= x >> 29;
  x *= kPrime1;
  x ^= x >> 32;
  return x;
}

Status hash_file(const std::filesystem::path& path, ContentHasher& hasher) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{"cannot open " + path.string() + ": " + std::strerror(errno)};
  std::vector<std::byte> buffer(size_t{1} << 20);
  while (true) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int error = errno;
      ::close(fd);
      return Error{"cannot read " + path.string() + ": " + std::strerror(error)};
    }
    if (got == 0) break;
    hasher.update(std::span(buffer.data(), static_cast<size_t>(got)));
  }
  ::close(fd);
  return ok_status();
}

}  // namespace

void ContentHasher::mix_block(const std::byte* block) {
  for (int lane = 0; lane < 4; ++lane) {
    lanes_[lane] += load_word(block + 8 * lane) * kPrime2;
    lanes_[lane] = rotate_left(lanes_[lane], 31) * kPrime1;
  }
}

void ContentHasher::update(std::span<const std::byte> bytes) {
  total_bytes_ += bytes.size();
  size_t used = 0;
  if (pending_bytes_ > 0) {
    used = std::min(bytes.size(), sizeof pending_ - pending_bytes_);
    std::memcpy(pending_ + pending_bytes_, bytes.data(), used);
    pending_bytes_ += used;
    if (pending_bytes_ < sizeof pending_) return;
    mix_block(pending_);
    pending_bytes_ = 0;
  }
  for (; used + sizeof pending_ <= bytes.size(); used += sizeof pending_) mix_block(bytes.data() + used);
  std::memcpy(pending_, bytes.data() + used, bytes.size() - used);
  pending_bytes_ = bytes.size() - used;
}

uint64_t ContentHasher::finish() const {
  uint64_t h = rotate_left(lanes_[0], 1) + rotate_left(lanes_[1], 7) + rotate_left(lanes_[2], 12) +
               rotate_left(lanes_[3], 18);
  h ^= total_bytes_ * kPrime1;
  // The tail (under 32 bytes), a byte at a time, each with its position.
  for (size_t i = 0; i < pending_bytes_; ++i)
    h = rotate_left(h ^ ((static_cast<uint64_t>(pending_[i]) + 1) * kPrime2 + i), 23) * kPrime1;
  return avalanche(h);
}

Result<uint64_t> content_hash(const std::filesystem::path& path) {
  ContentHasher hasher;
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path, error))
      if (entry.is_regular_file()) files.push_back(entry.path());
    if (error) return Error{"cannot list " + path.string() + ": " + error.message()};
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      const std::string name = file.filename().string() + '\0';
      hasher.update(std::as_bytes(std::span(name.data(), name.size())));
      KEEL_TRY(hash_file(file, hasher));
    }
    return hasher.finish();
  }
  KEEL_TRY(hash_file(path, hasher));
  return hasher.finish();
}

std::string content_hash_hex(uint64_t hash) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

}  // namespace keel
