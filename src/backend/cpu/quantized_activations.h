// Activation rows quantized to int16 blocks, the input side of the
// integer-dot matmul (integer_dot.h).
//
// Each float32 row of a matmul input x: [n_tokens, in] is cut into blocks
// of 32 columns; a block keeps 32 int16 values q and one float scale s with
//   x[k] ≈ s · q[k],   s = max|x| / 32767 over the block,   q = round(x / s).
// So |x[k] - s·q[k]| ≤ s/2, and every q lies in [-32767, 32767].
//
// Why int16 and not int8 (llama.cpp's Q8 blocks): with int8 activations
// (s = max|x| / 127) the fast path missed the quality bar against the exact
// path — top-1 agreement 0.96–0.985 and mean KL up to 1.8e-3 on the demo
// model and the golden fixtures, where the bar is ≥ 0.99 and ≤ 1e-3
// (docs/performance.md). int16 makes the activation error 258× smaller at
// the same instruction count per block on AVX2 (_mm256_madd_epi16 takes
// 16 int16 pairs where _mm256_maddubs_epi16 takes 32 int8 pairs but needs
// a sign fix-up and a second madd), and the weight stays as stored.
//
// Each token row is quantized on its own (its scales depend on nothing but
// that row), so a token's result never depends on the other rows of its
// batch: batch invariance survives quantization.
//
// Memory: QuantizedActivations is the CPU backend's scratch for one
// quantized matmul input. It is reserved before the step loop — ModelRunner
// calls Backend::reserve_matmul_input with the step's most rows and the
// widest matmul input — and only grows, so the ops themselves never
// allocate; quantizing more than was reserved is a programmer error (CHECK).
#pragma once

#include <cstdint>
#include <vector>

namespace keel::cpu {

struct ActivationBlock {
  static constexpr int64_t kElems = 32;
  static constexpr int32_t kMaxValue = 32767;
  int16_t values[kElems] = {};
  float scale = 0.0f;        // s: x ≈ s · values
  float scaled_sum = 0.0f;   // s · Σ values: what Q4_1's per-block minimum multiplies
};

// Quantizes x[0, n) (n a multiple of 32) into n / 32 blocks. Plain C++; the
// result does not depend on the CPU.
void quantize_row_int16(const float* x, int64_t n, ActivationBlock* out);

class QuantizedActivations {
 public:
  // Makes room for `rows` rows of `cols` columns (cols rounded up to whole
  // blocks). Grow-only: a smaller request keeps what is there.
  void reserve(int64_t rows, int64_t cols);

  // Quantizes x: [n_tokens, in] (in a multiple of 32), one row at a time,
  // and returns the blocks: [n_tokens, in / 32], row t at t * (in / 32).
  // CHECKs that reserve() made room for it.
  const ActivationBlock* quantize(const float* x, int64_t n_tokens, int64_t in);

  int64_t reserved_blocks() const { return static_cast<int64_t>(blocks_.size()); }

 private:
  std::vector<ActivationBlock> blocks_;
};

}  // namespace keel::cpu
