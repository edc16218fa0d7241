#include "engine/softmax.h"

#include <algorithm>
#include <cstring>

#include "backend/row_argmax.h"
#include "core/check.h"

namespace keel {
namespace {

// Four floats (or their bit patterns) in one register: GCC's and Clang's
// vector extension, so that the loops below are vector code without
// intrinsics. (Plain loops stay scalar here: at -O2 GCC neither vectorises
// the exp, whose clamps are compares it will not if-convert, nor a
// running maximum.)
using Floats = float __attribute__((vector_size(16)));
using Ints = int32_t __attribute__((vector_size(16)));
constexpr size_t kLanes = 4;

Floats load(const float* from) {
  Floats v;
  std::memcpy(&v, from, sizeof v);
  return v;
}

void store(float* to, Floats v) { std::memcpy(to, &v, sizeof v); }

// exp(x) for x <= 0, lane by lane: x = n ln2 + r with |r| <= ln2 / 2
// (ln2 split in two for an exact product), exp(r) by Cephes expf's
// polynomial, 2^n put straight into the exponent bits. Below -87 the result
// would be subnormal: it is 0 instead.
Floats exp_nonpositive(Floats x) {
  const Floats round = Floats{} + 12582912.0f;  // 1.5 × 2^23: adding it rounds to an integer
  const Ints underflow = x < -87.0f;
  const Floats clamped = underflow ? Floats{} - 87.0f : x;
  const Floats shifted = clamped * 1.44269504088896341f + round;  // n in the low mantissa bits
  const Floats n = shifted - round;
  const Floats r = clamped - n * 0.693359375f - n * -2.12194440e-4f;
  Floats p = Floats{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const Floats exp_r = p * (r * r) + r + 1.0f;
  const Ints two_to_n = (((Ints)shifted - (Ints)round) + 127) << 23;
  return underflow ? Floats{} : exp_r * (Floats)two_to_n;
}

// Weights of one block (at most kSoftmaxBlock tokens) into `weights`;
// returns their sum, added in four lanes and then across them, always in
// this order.
double weigh_block(const float* logits, size_t n, float max, float* weights) {
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) store(weights + i, exp_nonpositive(load(logits + i) - max));
  for (; i < n; ++i) weights[i] = exp_nonpositive(Floats{} + (logits[i] - max))[0];
  double lane[kLanes] = {};
  i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (size_t j = 0; j < kLanes; ++j) lane[j] += weights[i + j];
  for (; i < n; ++i) lane[0] += weights[i];
  return (lane[0] + lane[1]) + (lane[2] + lane[3]);
}

}  // namespace

int32_t argmax(std::span<const float> values) {
  KEEL_CHECK(!values.empty(), "argmax of nothing");
  return static_cast<int32_t>(first_largest_index(values.data(), static_cast<int64_t>(values.size())));
}

double softmax_weights(std::span<const float> logits, float max, std::span<float> weights,
                       std::span<double> block_sums) {
  KEEL_CHECK(weights.size() >= logits.size() && block_sums.size() >= softmax_blocks(logits.size()),
             "softmax scratch smaller than the row");
  double sum = 0;
  for (size_t begin = 0, b = 0; begin < logits.size(); begin += kSoftmaxBlock, ++b) {
    const size_t n = std::min(kSoftmaxBlock, logits.size() - begin);
    block_sums[b] = weigh_block(logits.data() + begin, n, max, weights.data() + begin);
    sum += block_sums[b];
  }
  return sum;
}

double softmax_sum(std::span<const float> logits, float max) {
  float weights[kSoftmaxBlock];
  double sum = 0;
  for (size_t begin = 0; begin < logits.size(); begin += kSoftmaxBlock)
    sum += weigh_block(logits.data() + begin, std::min(kSoftmaxBlock, logits.size() - begin), max, weights);
  return sum;
}

}  // namespace keel
