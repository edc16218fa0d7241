// CpuBackend::matmul: y[n_tokens, out] = x[n_tokens, in] · w[out, in]ᵀ (+ bias),
// and matmul_group: several such products of one input in one parallel
// region (a layer's Q/K/V, its gate/up).
//
// The output rows (weight rows) are split into one contiguous range per
// task. A task walks its rows four at a time; for each group it takes a
// panel of kPanelCols columns of those four rows and runs every token row
// of the batch against the panel before taking the next one. A step of few
// token rows (one on the float path, up to kMaxTokensByRow on the integer
// path) walks its rows one at a time instead, each end to end, so that the
// weight streams from memory as one sequential run; the sums are the same
// bits either way. On the float path the panel is first decoded into a
// small buffer that stays in L1 (accumulate_panel) — except that a
// one-token step over f16 or bf16 weights converts them in registers as it
// reads them, the same floats without the buffer's store and reload; on the
// integer path the kernel reads the stored blocks themselves against the
// token rows quantized once, up front, to int16 blocks
// (integer_panel_kernel). Either way:
//  - the weight is streamed from memory exactly once per call, and decoded
//    once, however many tokens the batch holds — what makes batched decode
//    cheap: eight sequences cost little more than one, and
//  - the token rows' slice of kPanelCols floats is reused by four weight
//    rows while it is in cache.
// Float32 weights that are suitably aligned are read in place, not copied.
#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/integer_dot.h"
#include "backend/cpu/panel_dot.h"
#include "backend/cpu/parallel.h"
#include "core/check.h"
#include "backend/cpu/row_decoder.h"

namespace keel {

namespace {

void prefetch(const std::byte* begin, int64_t bytes) {
  for (int64_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(begin + offset);
}

// What every task needs to know of the weight, looked up once per call.
struct WeightLayout {
  const std::byte* data;
  int64_t in, out;
  int64_t row_bytes;
  int64_t block_elems, block_bytes;
  RowDecoder decode;   // null: float32 rows read in place
  // f16 / bf16 rows that a one-token step reads as stored, converting in
  // registers (accumulate_16bit_row_segments_avx2), rather than decoding
  // each panel into a buffer first: the same bits, half the memory traffic.
  bool sixteen_bit_in_registers = false;
  bool bf16 = false;
  // Byte offset of column `col` (a multiple of the block size) in a row.
  int64_t column_offset(int64_t col) const { return col / block_elems * block_bytes; }
};

// y[t, r] = bias[r] (or 0) for the task's rows [row_begin, row_end): what
// the panels then accumulate into.
void start_with_bias(float* y, int64_t n_tokens, int64_t out, const float* bias, int64_t row_begin, int64_t row_end) {
  for (int64_t t = 0; t < n_tokens; ++t)
    for (int64_t r = row_begin; r < row_end; ++r) y[t * out + r] = bias ? bias[r] : 0.0f;
}

// One token's share of the float-path matmul, row after row: each row is
// read end to end (one sequential stream, as on the integer path), up to
// four panels of it decoded at a time and summed side by side, so that the
// row gets the bits the four-row panels give it.
void matmul_rows_one_token(const float* x, const WeightLayout& w, int64_t row_begin, int64_t row_end,
                           float* panel_buffer, float* y) {
  constexpr int64_t kPanelCols = CpuBackend::kPanelCols;
  for (int64_t row = row_begin; row < row_end; ++row) {
    // The next row is fetched while this one is summed: on the 1B-shape
    // F16 file this took decode from 46–64% to 61–69% of the read ceiling
    // (docs/performance.md). The integer path's rows measured slower with
    // the same prefetch (Q8_0), so they go without.
    if (row + 1 < row_end) prefetch(w.data + (row + 1) * w.row_bytes, w.row_bytes);
    for (int64_t col = 0; col < w.in;) {
      cpu::Panel segments;  // consecutive panels of this row, all of one width
      segments.cols = std::min(kPanelCols, w.in - col);
      // The same, as stored, where the weight is read in registers; only
      // whole vectors (the tail of a row of other widths is decoded).
      const bool in_registers = w.sixteen_bit_in_registers && segments.cols % 8 == 0;
      cpu::StoredSegments stored_segments;
      stored_segments.bf16 = w.bf16;
      int64_t next = col;
      while (segments.n_rows < cpu::Panel::kMaxRows && next < w.in &&
             std::min(kPanelCols, w.in - next) == segments.cols) {
        const std::byte* stored = w.data + row * w.row_bytes + w.column_offset(next);
        if (in_registers) {
          stored_segments.rows[segments.n_rows] = stored;
        } else if (w.decode == nullptr) {
          segments.rows[segments.n_rows] = reinterpret_cast<const float*>(stored);
        } else {
          float* decoded = panel_buffer + segments.n_rows * kPanelCols;
          w.decode(stored, decoded, segments.cols);
          segments.rows[segments.n_rows] = decoded;
        }
        ++segments.n_rows;
        next += kPanelCols;
      }
      if (in_registers) {
        stored_segments.n_rows = segments.n_rows;
        stored_segments.cols = segments.cols;
        cpu::accumulate_16bit_row_segments_avx2(stored_segments, x + col, y + row);
      } else {
        cpu::accumulate_row_segments(segments, x + col, y + row);
      }
      col = next;
    }
  }
}

// One task's share of the matmul: weight rows [row_begin, row_end).
void matmul_rows(const float* x, int64_t n_tokens, const WeightLayout& w, const float* bias, int64_t row_begin,
                 int64_t row_end, float* panel_buffer, float* y) {
  constexpr int64_t kPanelRows = cpu::Panel::kMaxRows;
  constexpr int64_t kPanelCols = CpuBackend::kPanelCols;
  start_with_bias(y, n_tokens, w.out, bias, row_begin, row_end);
  if (n_tokens == 1) {
    matmul_rows_one_token(x, w, row_begin, row_end, panel_buffer, y);
    return;
  }

  for (int64_t first_row = row_begin; first_row < row_end; first_row += kPanelRows) {
    cpu::Panel panel;
    panel.n_rows = std::min(kPanelRows, row_end - first_row);
    const bool prefetch_next_group = first_row + kPanelRows < row_end;
    for (int64_t col = 0; col < w.in; col += kPanelCols) {
      panel.cols = std::min(kPanelCols, w.in - col);
      const int64_t panel_bytes = w.column_offset(panel.cols);
      for (int64_t i = 0; i < panel.n_rows; ++i) {
        const std::byte* stored = w.data + (first_row + i) * w.row_bytes + w.column_offset(col);
        // The same columns of the next group of rows are fetched while this
        // panel computes, so the weight stream does not wait on memory.
        if (prefetch_next_group) prefetch(stored + kPanelRows * w.row_bytes, panel_bytes);
        if (w.decode == nullptr) {
          panel.rows[i] = reinterpret_cast<const float*>(stored);
        } else {
          float* decoded = panel_buffer + i * kPanelCols;
          w.decode(stored, decoded, panel.cols);
          panel.rows[i] = decoded;
        }
      }
      cpu::accumulate_panel(panel, x + col, w.in, n_tokens, y + first_row, w.out);
    }
  }
}

// The integer-dot kernels of one weight type (integer_dot.h).
struct IntegerKernels {
  cpu::IntegerPanelKernel panel = nullptr;  // null: the float path
  cpu::IntegerRowKernel row = nullptr;
};

// Up to this many token rows (decode of up to eight sequences) the row
// kernel reads the weight rows one after the other; from more on the panel
// kernel's four rows at a time win. engine_bench (193 MB Q8_0, 2 threads),
// rows (two tokens per widened block) against panels: 2 sequences 235 /
// 158 tokens/s, 4: 238 / 215, 8: 259 / 249, 16: 260 / 285; four tokens
// per widened block then added 4–12% at 4 and 8.
constexpr int64_t kMaxTokensByRow = 8;

// One task's share of the integer-dot matmul: weight rows [row_begin,
// row_end) against the quantized token rows x: [n_tokens, in / 32] blocks.
// A step of a few tokens reads its rows one after the other with the row
// kernel, one sequential stream; a larger batch takes them four at a time
// with the panel kernel. Both give a row the same bits, so a token's
// result does not depend on which way its batch went.
void integer_matmul_rows(const cpu::ActivationBlock* x, int64_t n_tokens, const WeightLayout& w, IntegerKernels kernels,
                         const float* bias, int64_t row_begin, int64_t row_end, float* y) {
  constexpr int64_t kPanelRows = cpu::IntegerPanel::kMaxRows;
  constexpr int64_t kPanelCols = CpuBackend::kPanelCols;
  // The kernels count in the activations' 32-column blocks (a K-quant's
  // sub-blocks); a panel's 256 columns are whole blocks of every type.
  constexpr int64_t kBlock = cpu::ActivationBlock::kElems;
  const int64_t row_blocks = w.in / kBlock;
  start_with_bias(y, n_tokens, w.out, bias, row_begin, row_end);
  if (n_tokens <= kMaxTokensByRow) {
    for (int64_t row = row_begin; row < row_end; ++row)
      kernels.row(w.data + row * w.row_bytes, row_blocks, kPanelCols / kBlock, x, row_blocks, n_tokens, y + row, w.out);
    return;
  }

  for (int64_t first_row = row_begin; first_row < row_end; first_row += kPanelRows) {
    cpu::IntegerPanel panel;
    panel.n_rows = std::min(kPanelRows, row_end - first_row);
    const bool prefetch_next_group = first_row + kPanelRows < row_end;
    for (int64_t col = 0; col < w.in; col += kPanelCols) {
      const int64_t cols = std::min(kPanelCols, w.in - col);
      panel.blocks = cols / kBlock;
      for (int64_t i = 0; i < panel.n_rows; ++i) {
        panel.rows[i] = w.data + (first_row + i) * w.row_bytes + w.column_offset(col);
        if (prefetch_next_group) prefetch(panel.rows[i] + kPanelRows * w.row_bytes, w.column_offset(cols));
      }
      kernels.panel(panel, x + col / kBlock, row_blocks, n_tokens, y + first_row, w.out);
    }
  }
}

}  // namespace

void CpuBackend::matmul(const float* x, int64_t n_tokens, const TensorView& w, const float* bias, float* y) {
  const MatmulTarget target{&w, bias, y};
  matmul_group(x, n_tokens, std::span(&target, 1));
}

// The targets' output rows, end to end, are split into one contiguous range
// per task, so a group is one parallel region however many weights it has.
// The split falls only between whole panels of kPanelRows rows counted from
// each weight's first row, so every row meets the same panel neighbours —
// the same kernel, the same rounding — alone or in a group, whatever the
// number of tasks. The input is quantized once for every target that takes
// the integer path.
void CpuBackend::matmul_group(const float* x, int64_t n_tokens, std::span<const MatmulTarget> targets) {
  // Panels start at multiples of kPanelCols, which must start a block of
  // every type (256 is the K-quants' block).
  static_assert(kPanelCols % 256 == 0, "panel columns must be whole blocks of every type");
  KEEL_CHECK(!targets.empty() && targets.size() <= kMaxMatmulGroup,
             "matmul_group takes 1 to " + std::to_string(kMaxMatmulGroup) + " targets");
  constexpr int64_t kPanelRows = cpu::Panel::kMaxRows;
  static_assert(cpu::IntegerPanel::kMaxRows == kPanelRows, "both paths group the same rows into panels");
  struct Piece {
    WeightLayout layout;
    IntegerKernels integer_kernels;  // null: the float path
    const float* bias;
    float* y;
    int64_t first_panel;  // of the group's panels, end to end
  };
  std::array<Piece, kMaxMatmulGroup> pieces;
  int64_t total_panels = 0;
  bool any_integer = false;
  for (size_t i = 0; i < targets.size(); ++i) {
    const TensorView& w = *targets[i].w;
    KEEL_CHECK(w.rank == 2, "matmul weight must be a matrix: " + w.describe());
    KEEL_CHECK(w.cols() == targets[0].w->cols(), "matmul_group weights must share the input width: " + w.describe());
    const DTypeInfo& info = dtype_info(w.dtype);
    const bool integer = !options_.exact_kernels && cpu::has_integer_kernel(w.dtype);
    KEEL_CHECK(!integer || info.block_elems % cpu::ActivationBlock::kElems == 0,
               "integer matmul needs whole 32-element blocks: " + w.describe());
    const bool read_in_place = w.dtype == DType::F32 && reinterpret_cast<uintptr_t>(w.data) % alignof(float) == 0;
    const RowDecoder decode = integer || read_in_place ? nullptr : cpu::row_decoder(w.dtype);
    const bool sixteen_bit =
        (w.dtype == DType::F16 || w.dtype == DType::BF16) && cpu::can_read_16bit_row_segments_in_registers();
    pieces[i] = {WeightLayout{w.data, w.cols(), w.rows(), static_cast<int64_t>(w.row_bytes()), info.block_elems,
                              info.block_bytes, decode, sixteen_bit, w.dtype == DType::BF16},
                 integer ? IntegerKernels{cpu::integer_panel_kernel(w.dtype), cpu::integer_row_kernel(w.dtype)}
                         : IntegerKernels{},
                 targets[i].bias, targets[i].y, total_panels};
    total_panels += (w.rows() + kPanelRows - 1) / kPanelRows;
    any_integer = any_integer || integer;
  }
  const int64_t in = targets[0].w->cols();
  // [n_tokens, in / 32] blocks, shared by every integer-path target.
  const cpu::ActivationBlock* quantized = any_integer ? quantized_input_.quantize(x, n_tokens, in) : nullptr;

  const auto run_task = [&](int64_t first_task, int64_t end_task) {
    for (int64_t task = first_task; task < end_task; ++task) {
      const int64_t begin = total_panels * task / tasks_, end = total_panels * (task + 1) / tasks_;
      for (size_t i = 0; i < targets.size(); ++i) {
        const Piece& p = pieces[i];
        const int64_t row_begin = (std::max(begin, p.first_panel) - p.first_panel) * kPanelRows;
        const int64_t row_end = std::min((end - p.first_panel) * kPanelRows, p.layout.out);
        if (row_begin >= row_end) continue;
        if (p.integer_kernels.panel != nullptr) {
          integer_matmul_rows(quantized, n_tokens, p.layout, p.integer_kernels, p.bias, row_begin, row_end, p.y);
        } else {
          matmul_rows(x, n_tokens, p.layout, p.bias, row_begin, row_end, panel_buffer(task), p.y);
        }
      }
    }
  };
  cpu::parallel_for(tasks_, run_task);
}

}  // namespace keel
