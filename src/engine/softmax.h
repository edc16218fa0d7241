// The passes over a whole row of logits that sampling makes for every
// token: the argmax, and the softmax numerators exp(logit - max) with their
// sum. At a 152k vocabulary these are most of a token's host work, so both
// are written for the compiler's vectors (four floats: the SSE2 every
// x86-64 has).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace keel {

// Index of the largest value; ties go to the lowest index (as torch.argmax).
// NaNs are never the largest, unless the first value is one (then 0).
int32_t argmax(std::span<const float> values);

// Tokens per block of softmax_weights' block sums.
inline constexpr size_t kSoftmaxBlock = 64;
inline size_t softmax_blocks(size_t vocab) { return (vocab + kSoftmaxBlock - 1) / kSoftmaxBlock; }

// The softmax numerators of a row whose largest logit is `max`:
// weights[i] = exp(logits[i] - max), by a vectorised exp within 1 ulp of
// std::exp (Cephes' expf polynomial), and 0 below exp(-87). Each block of
// kSoftmaxBlock tokens is summed in double into block_sums[b]
// (softmax_blocks(vocab) entries), so that a draw can find its token by
// walking block sums first; returns the sum of the block sums, in order.
double softmax_weights(std::span<const float> logits, float max, std::span<float> weights,
                       std::span<double> block_sums);

// The same sum without keeping the weights.
double softmax_sum(std::span<const float> logits, float max);

}  // namespace keel
