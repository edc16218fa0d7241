// content_hash: the same bytes give the same fingerprint however they are
// split, and a changed byte, a moved byte or another length gives another.
#include "core/content_hash.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <set>
#include <vector>

namespace keel {
namespace {

std::vector<std::byte> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> bytes(n);
  for (auto& b : bytes) b = static_cast<std::byte>(rng() & 0xff);
  return bytes;
}

uint64_t hash_of(std::span<const std::byte> bytes) {
  ContentHasher hasher;
  hasher.update(bytes);
  return hasher.finish();
}

TEST(ContentHash, AnySplitGivesTheSameValue) {
  const std::vector<std::byte> bytes = random_bytes(1000, 1);
  const uint64_t whole = hash_of(bytes);
  for (const size_t piece : {1u, 3u, 31u, 32u, 33u, 64u, 999u}) {
    ContentHasher hasher;
    for (size_t at = 0; at < bytes.size(); at += piece)
      hasher.update(std::span(bytes).subspan(at, std::min(piece, bytes.size() - at)));
    EXPECT_EQ(hasher.finish(), whole) << "pieces of " << piece;
  }
}

TEST(ContentHash, EveryOneByteChangeAndEveryLengthDiffers) {
  std::vector<std::byte> bytes = random_bytes(100, 2);
  std::set<uint64_t> seen = {hash_of(bytes)};
  for (size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] ^= std::byte{1};
    EXPECT_TRUE(seen.insert(hash_of(bytes)).second) << "flipping byte " << i;
    bytes[i] ^= std::byte{1};
  }
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_TRUE(seen.insert(hash_of(std::span(bytes).first(n))).second) << "prefix of " << n;
  const std::vector<std::byte> zeros_a(40), zeros_b(41);
  EXPECT_NE(hash_of(zeros_a), hash_of(zeros_b));
}

TEST(ContentHash, FilesAndDirectories) {
  const auto dir = std::filesystem::temp_directory_path() / ("keel_content_hash_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::vector<std::byte> bytes = random_bytes(3 << 20, 3);  // crosses the 1 MiB reads
  {
    std::ofstream(dir / "b.bin", std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    std::ofstream(dir / "a.json") << "{}";
  }
  EXPECT_EQ(content_hash(dir / "b.bin").value(), hash_of(bytes));
  const uint64_t before = content_hash(dir).value();
  EXPECT_EQ(content_hash(dir).value(), before);
  std::ofstream(dir / "a.json") << "{ }";
  EXPECT_NE(content_hash(dir).value(), before) << "a directory's hash covers every file";
  EXPECT_FALSE(content_hash(dir / "missing").ok());
  EXPECT_EQ(content_hash_hex(0x1234), "0000000000001234");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace keel
