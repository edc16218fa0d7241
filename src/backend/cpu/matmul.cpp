// CpuBackend::matmul: y[n_tokens, out] = x[n_tokens, in] · w[out, in]ᵀ (+ bias).
//
// The output rows (weight rows) are split into one contiguous range per
// task. A task decodes a tile of kTileRows weight rows into its buffer and
// then runs every token row against the whole tile, so:
//  - the weight is streamed from memory exactly once per call, however
//    many tokens the batch holds (what makes batched decode cheap), and
//  - each token row is loaded once per tile rather than once per weight row.
#include <algorithm>
#include <cstdint>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/dot.h"
#include "backend/cpu/parallel.h"
#include "core/check.h"
#include "core/dequantize.h"
#include "core/multiversion.h"

namespace keel {

namespace {

// One task's share of the matmul: weight rows [row_begin, row_end), decoded
// kTileRows at a time into `buffer`, each tile dotted with every token row.
// Compiled for AVX2 and for the baseline (KEEL_MULTIVERSION).
KEEL_MULTIVERSION void matmul_rows(const float* x, int64_t n_tokens, const TensorView& w, const float* bias,
                                   bool read_in_place, int64_t row_begin, int64_t row_end, float* buffer,
                                   float* y) {
  constexpr int64_t kTileRows = CpuBackend::kTileRows;
  const int64_t in = w.cols();
  const int64_t out = w.rows();
  for (int64_t tile = row_begin; tile < row_end; tile += kTileRows) {
    const int64_t rows = std::min<int64_t>(kTileRows, row_end - tile);
    const float* weight_rows[kTileRows];
    for (int64_t i = 0; i < rows; ++i) {
      if (read_in_place) {
        weight_rows[i] = reinterpret_cast<const float*>(w.row(tile + i));
      } else {
        dequantize_row(w.dtype, w.row(tile + i), buffer + i * in, in);
        weight_rows[i] = buffer + i * in;
      }
    }
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* token = x + t * in;
      float* y_row = y + t * out + tile;
      for (int64_t i = 0; i < rows; ++i) y_row[i] = cpu::dot(weight_rows[i], token, in) + (bias ? bias[tile + i] : 0.0f);
    }
  }
}

}  // namespace


void CpuBackend::matmul(const float* x, int64_t n_tokens, const TensorView& w, const float* bias,
                        float* y) {
  KEEL_CHECK(w.rank == 2, "matmul weight must be a matrix: " + w.describe());
  const int64_t in = w.cols();
  const int64_t out = w.rows();
  KEEL_CHECK(in <= limits_.max_row_elems, "matmul row longer than the backend's scratch: " + w.describe());

  // Float32 rows that are suitably aligned are read in place, not copied.
  const bool read_in_place =
      w.dtype == DType::F32 && reinterpret_cast<uintptr_t>(w.data) % alignof(float) == 0;

  const auto run_task = [&](int64_t first_task, int64_t end_task) {
    for (int64_t task = first_task; task < end_task; ++task) {
      const int64_t row_begin = out * task / tasks_;
      const int64_t row_end = out * (task + 1) / tasks_;
      matmul_rows(x, n_tokens, w, bias, read_in_place, row_begin, row_end, tile_buffer(task), y);
    }
  };
  cpu::parallel_for(tasks_, run_task);
}

}  // namespace keel
