// CpuBackend::rope: rotary position embedding, in place.
//
// Pair j of a head (elements (j, j + d_rot/2) in NeoX style, (2j, 2j+1) in
// interleaved style) is rotated by the angle position · inv_frequency[j]:
//   a' = a·cos − b·sin,   b' = b·cos + a·sin.
// Dims at or beyond rotary_dims are left unchanged (GLM rotates half).
#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "core/check.h"
#include "backend/cpu/parallel.h"

namespace keel {

void CpuBackend::rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim,
                      const int32_t* positions, const RopeParams& params) {
  const int64_t half = params.rotary_dims / 2;
  KEEL_CHECK(params.rotary_dims % 2 == 0 && params.rotary_dims <= head_dim, "bad rotary_dims");
  KEEL_CHECK(half == 0 || params.inv_frequency != nullptr, "rope needs rotary_dims/2 inverse frequencies");
  // Element offsets of the two members of pair j.
  const bool neox = params.style == RopeStyle::kNeox;
  const int64_t first_stride = neox ? 1 : 2;
  const int64_t partner_offset = neox ? half : 1;

  cpu::parallel_for(n_tokens, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      float* token = x + t * n_heads * head_dim;
      // The angle is formed in float32 as HF does (position · inv_freq).
      const float position = static_cast<float>(positions[t]);
      for (int64_t j = 0; j < half; ++j) {
        const float angle = position * params.inv_frequency[j];
        const float c = std::cos(angle);
        const float s = std::sin(angle);
        for (int64_t h = 0; h < n_heads; ++h) {
          float* a = token + h * head_dim + j * first_stride;
          float* b = a + partner_offset;
          const float a0 = *a;
          const float b0 = *b;
          *a = a0 * c - b0 * s;
          *b = b0 * c + a0 * s;
        }
      }
    }
  });
}

}  // namespace keel
