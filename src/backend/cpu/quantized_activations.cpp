#include "backend/cpu/quantized_activations.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "backend/cpu/parallel.h"
#include "core/check.h"

namespace keel::cpu {

void quantize_row_int16(const float* x, int64_t n, ActivationBlock* out) {
  for (int64_t b = 0; b < n / ActivationBlock::kElems; ++b) {
    const float* in = x + b * ActivationBlock::kElems;
    float amax = 0.0f;
    for (int64_t k = 0; k < ActivationBlock::kElems; ++k) amax = std::max(amax, std::fabs(in[k]));
    constexpr auto kMax = static_cast<float>(ActivationBlock::kMaxValue);
    const float scale = amax / kMax;
    // Multiplying by the inverse (not dividing) keeps the loop cheap; the
    // clamp catches the one rounding that could carry |x|·inverse past kMax.
    const float inverse = amax > 0.0f ? kMax / amax : 0.0f;
    ActivationBlock& block = out[b];
    int32_t sum = 0;
    for (int64_t k = 0; k < ActivationBlock::kElems; ++k) {
      // nearbyint: round half to even in the default rounding mode.
      const auto q = static_cast<int32_t>(std::nearbyint(in[k] * inverse));
      block.values[k] =
          static_cast<int16_t>(std::clamp(q, -ActivationBlock::kMaxValue, ActivationBlock::kMaxValue));
      sum += block.values[k];
    }
    block.scale = scale;
    block.scaled_sum = scale * static_cast<float>(sum);
  }
}

void QuantizedActivations::reserve(int64_t rows, int64_t cols) {
  const int64_t blocks = rows * ((cols + ActivationBlock::kElems - 1) / ActivationBlock::kElems);
  if (blocks > reserved_blocks()) blocks_.resize(static_cast<size_t>(blocks));
}

const ActivationBlock* QuantizedActivations::quantize(const float* x, int64_t n_tokens, int64_t in) {
  KEEL_CHECK(in % ActivationBlock::kElems == 0, "quantized matmul input width " + std::to_string(in) + " is not whole blocks");
  const int64_t row_blocks = in / ActivationBlock::kElems;
  KEEL_CHECK(n_tokens * row_blocks <= reserved_blocks(),
             "matmul input [" + std::to_string(n_tokens) + ", " + std::to_string(in) +
                 "] exceeds the quantized-activation scratch (" + std::to_string(reserved_blocks()) +
                 " blocks): call Backend::reserve_matmul_input first");
  ActivationBlock* blocks = blocks_.data();
  const auto quantize_rows = [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) quantize_row_int16(x + t * in, in, blocks + t * row_blocks);
  };
  // A decode step's one row is cheaper to quantize than to hand to the pool.
  constexpr int64_t kRowsWorthAParallelRegion = 8;
  if (n_tokens < kRowsWorthAParallelRegion) {
    quantize_rows(0, n_tokens);
  } else {
    parallel_for(n_tokens, quantize_rows);
  }
  return blocks;
}

}  // namespace keel::cpu
