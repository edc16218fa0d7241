// Content keys of full KV blocks.
//
// A block's key is hash(parent block's key, the block's token ids), so two
// prompts that share a prefix produce the same chain of keys for it, and a
// block's key identifies its whole prefix, not only its own tokens. The
// hash is a strong 64-bit mix, but equal keys are never trusted alone: a
// hit is confirmed by comparing the parent key and the token ids.
#pragma once

#include <cstdint>
#include <span>

namespace keel {

// The parent key of a sequence's first block.
inline constexpr uint64_t kRootBlockKey = 0x6b65656c2d6b7631ULL;  // "keel-kv1"

uint64_t block_key(uint64_t parent_key, std::span<const int32_t> tokens);

}  // namespace keel
