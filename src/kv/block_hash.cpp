#include "kv/block_hash.h"

namespace keel {
namespace {

// The finaliser of MurmurHash3 (fmix64): every input bit affects every
// output bit with probability close to 1/2.
uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace

uint64_t block_key(uint64_t parent_key, std::span<const int32_t> tokens) {
  uint64_t h = mix64(parent_key ^ 0x9e3779b97f4a7c15ULL);
  // Two tokens per 64-bit word; each word is folded in with a full mix so
  // that order matters (a permutation of tokens gives another key).
  size_t i = 0;
  for (; i + 1 < tokens.size(); i += 2) {
    const uint64_t word = static_cast<uint64_t>(static_cast<uint32_t>(tokens[i])) |
                          (static_cast<uint64_t>(static_cast<uint32_t>(tokens[i + 1])) << 32);
    h = mix64(h ^ mix64(word + 0x632be59bd9b4e019ULL));
  }
  if (i < tokens.size()) h = mix64(h ^ mix64(static_cast<uint32_t>(tokens[i]) + 0x8cb92ba72f3d8dd7ULL));
  return mix64(h ^ tokens.size());
}

}  // namespace keel
