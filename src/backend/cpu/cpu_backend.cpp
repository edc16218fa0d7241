// CpuBackend construction, memory, and its element-wise ops (embed, norm,
// swiglu, add, gather). matmul, rope and attention live in their own files.
#include "backend/cpu/cpu_backend.h"

#include <sys/mman.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "backend/cpu/row_decoder.h"
#include "backend/cpu/thread_pool.h"
#include "core/check.h"

namespace keel {

namespace {

// Cache-line alignment: vector loads never split a line, and buffers of
// different threads never share one.
constexpr size_t kAlignment = 64;

void release_host(void* /*context*/, void* data) { std::free(data); }

// Buffers this large (a KV pool, a model's workspace) are mapped from the
// kernel rather than taken from malloc, so that dropping one gives its
// memory back at once. From malloc they stayed in its heap after a reload
// replaced the model: the soak saw resident memory step up by megabytes at
// each reload, and 24 reloads of the demo model held 90 MB more.
constexpr size_t kMappedBytes = size_t{1} << 20;

// The mapping's length travels as the release context.
void release_mapped(void* context, void* data) {
  auto* length = static_cast<size_t*>(context);
  munmap(data, *length);
  delete length;
}

}  // namespace

CpuBackend::CpuBackend(const CpuOptions& options)
    : options_(options),
      tasks_(ThreadPool::global().size()),
      panel_buffers_(static_cast<size_t>(tasks_ * kPanelFloats)) {}

std::unique_ptr<Backend> make_cpu_backend(const CpuOptions& options) { return std::make_unique<CpuBackend>(options); }

Status CpuBackend::reserve_matmul_input(int64_t max_rows, int64_t max_cols) {
  if (max_rows < 0 || max_cols < 0) return Error{"reserve_matmul_input: negative size"};
  // The exact path quantizes nothing.
  if (options_.exact_kernels) return ok_status();
  try {
    quantized_input_.reserve(max_rows, max_cols);
  } catch (const std::bad_alloc&) {
    return Error{"out of host memory reserving the quantized matmul input [" + std::to_string(max_rows) + ", " +
                 std::to_string(max_cols) + "]"};
  }
  return ok_status();
}

Result<DeviceBuffer> CpuBackend::allocate(size_t bytes) {
  if (bytes >= kMappedBytes) {
    // Zeroed by the kernel; MAP_POPULATE touches every page now, so the step
    // loop takes no page faults and the memory shows as resident from the start.
    void* data = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (data == MAP_FAILED) return Error{"out of host memory mapping " + std::to_string(bytes) + " bytes"};
    return DeviceBuffer(data, bytes, /*host_visible=*/true, release_mapped, new size_t(bytes));
  }
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* data = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (data == nullptr) return Error{"out of host memory allocating " + std::to_string(bytes) + " bytes"};
  std::memset(data, 0, rounded);
  return DeviceBuffer(data, bytes, /*host_visible=*/true, release_host, nullptr);
}

void CpuBackend::copy_to_device(const void* host, void* device, size_t bytes) { std::memcpy(device, host, bytes); }

void CpuBackend::copy_to_host(const void* device, void* host, size_t bytes) { std::memcpy(host, device, bytes); }

void CpuBackend::embed(const TensorView& table, const int32_t* tokens, int64_t n_tokens, float* out) {
  const int64_t dim = table.cols();
  const RowDecoder decode = cpu::row_decoder(table.dtype);
  for (int64_t t = 0; t < n_tokens; ++t) {
    KEEL_CHECK(tokens[t] >= 0 && tokens[t] < table.rows(), "token id outside the embedding table");
    decode(table.row(tokens[t]), out + t * dim, dim);
  }
}

void CpuBackend::rms_norm(const float* x, int64_t rows, int64_t dim, const float* weight, float eps, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x + r * dim;
    float* out = y + r * dim;
    // Sum of squares in double: the mean must not lose the small entries of
    // a long row (HF computes it in float32; double is at least as exact).
    double sum_squares = 0.0;
    for (int64_t i = 0; i < dim; ++i) sum_squares += static_cast<double>(in[i]) * in[i];
    const float inv_rms = 1.0f / std::sqrt(static_cast<float>(sum_squares / static_cast<double>(dim)) + eps);
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

void CpuBackend::gather_rows(const float* src, int64_t width, const int32_t* rows, int64_t n_rows, float* dst) {
  for (int64_t i = 0; i < n_rows; ++i)
    std::memcpy(dst + i * width, src + int64_t{rows[i]} * width, sizeof(float) * static_cast<size_t>(width));
}

}  // namespace keel
