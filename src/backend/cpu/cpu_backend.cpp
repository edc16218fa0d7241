// CpuBackend construction and its element-wise ops (embed, norm, swiglu,
// add). matmul, rope and attention live in their own files.
#include "backend/cpu/cpu_backend.h"

#include <cmath>

#include "core/check.h"
#include "core/dequantize.h"
#include "core/thread_pool.h"

namespace keel {

CpuBackend::CpuBackend(const BackendLimits& limits)
    : tasks_(ThreadPool::global().size()),
      panel_buffers_(static_cast<size_t>(tasks_ * kPanelFloats)) {
  KEEL_CHECK(limits.max_row_elems > 0, "BackendLimits::max_row_elems must be positive");
}

std::unique_ptr<Backend> make_cpu_backend(const BackendLimits& limits) {
  return std::make_unique<CpuBackend>(limits);
}

void CpuBackend::embed(const TensorView& table, std::span<const int32_t> tokens, float* out) {
  const int64_t dim = table.cols();
  for (size_t t = 0; t < tokens.size(); ++t) {
    KEEL_CHECK(tokens[t] >= 0 && tokens[t] < table.rows(), "token id outside the embedding table");
    dequantize_row(table.dtype, table.row(tokens[t]), out + static_cast<int64_t>(t) * dim, dim);
  }
}

void CpuBackend::rms_norm(const float* x, int64_t rows, int64_t dim, const float* weight, float eps,
                          float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x + r * dim;
    float* out = y + r * dim;
    // Sum of squares in double: the mean must not lose the small entries of
    // a long row (HF computes it in float32; double is at least as exact).
    double sum_squares = 0.0;
    for (int64_t i = 0; i < dim; ++i) sum_squares += static_cast<double>(in[i]) * in[i];
    const float inv_rms =
        1.0f / std::sqrt(static_cast<float>(sum_squares / static_cast<double>(dim)) + eps);
    for (int64_t i = 0; i < dim; ++i) out[i] = weight[i] * (in[i] * inv_rms);
  }
}

void CpuBackend::swiglu(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float z = gate[i];
    gate[i] = z / (1.0f + std::exp(-z)) * up[i];
  }
}

void CpuBackend::add(float* dst, const float* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
}

}  // namespace keel
