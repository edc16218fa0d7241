// Backend: the device a model runs on — its memory and the operations a
// transformer forward pass is written against.
//
// Memory. The backend owns everything on its device: weights made resident
// once at load (the CPU backends keep the file's memory-mapped views; a GPU
// backend uploads each tensor once), buffers allocated once when an engine
// starts (activations, KV storage, logits), and its kernels' own scratch.
// Pointers passed to the ops below are in the backend's memory; host code
// reads results only through copy_to_host.
//
// Ops. Every activation is float32 and row-major: "[n, d]" means n rows of
// d contiguous floats. Weights are TensorViews in their stored dtype; a
// backend reads them as they are and never keeps a float32 copy of a whole
// matrix. Ops do not allocate. They may run asynchronously; synchronize()
// waits for them and reports any failure.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <optional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "backend/device_buffer.h"
#include "backend/forward_batch.h"
#include "backend/kv_storage.h"
#include "backend/row_argmax.h"
#include "core/result.h"
#include "core/rope_style.h"
#include "core/tensor.h"

namespace keel {

// Rotary embedding of one model: style, how many leading dims of each head
// rotate (the rest pass through) and the angle per position of each pair.
struct RopeParams {
  RopeStyle style = RopeStyle::kNeox;
  int64_t rotary_dims = 0;             // even, <= head_dim
  const float* inv_frequency = nullptr;  // [rotary_dims / 2], resident; pair j turns by position * inv_frequency[j]
};

// The head layout shared by attention and rope.
struct AttentionShape {
  int64_t query_heads = 0;
  int64_t kv_heads = 0;  // query head h reads kv head h / (query_heads / kv_heads)
  int64_t head_dim = 0;
};

// One product of Backend::matmul_group: y = x · wᵀ (+ bias), shaped as in
// Backend::matmul.
struct MatmulTarget {
  const TensorView* w = nullptr;
  const float* bias = nullptr;  // [w.rows()] or null
  float* y = nullptr;           // [n_tokens, w.rows()]
};

// A device's memory as its driver reports it.
struct DeviceMemory {
  std::string device;  // the device's name, e.g. "NVIDIA H200"
  int64_t total_bytes = 0;
  int64_t free_bytes = 0;
};

// A backend's own share of its device's memory.
struct DeviceMemoryUse {
  int64_t weight_bytes = 0;  // made resident at load
  int64_t buffer_bytes = 0;  // allocate()d and live: KV, activations, the backend's scratch
};

// What a recorded step's launches depend on (see Backend::replay_step): the
// runner whose buffers they name (an id never reused), and the batch's
// counts and block-table width.
struct StepShape {
  uint64_t owner = 0;
  int32_t n_tokens = 0, n_seqs = 0, max_blocks_per_seq = 0, logit_rows = 0;
  bool operator==(const StepShape&) const = default;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // "cpu", "reference", "cuda": the --device name.
  virtual std::string_view name() const = 0;

  // ---- memory --------------------------------------------------------

  // `bytes` of device memory, zeroed. Errors: out of memory.
  virtual Result<DeviceBuffer> allocate(size_t bytes) = 0;
  // The device address of a weight's bytes, made resident for the
  // backend's lifetime. CPU backends return `host` itself (no copy).
  virtual Result<const std::byte*> make_resident(std::span<const std::byte> host) = 0;
  // The device address of a weight matrix (`matrix` describes the host
  // bytes at matrix.data), made resident like make_resident. A backend may
  // store each row in a layout of its own, in the same row_bytes, that all
  // of its ops read (the CUDA backend splits Q8_0 and Q6_K rows into their
  // block bodies and their scales); by default the bytes go as they are.
  virtual Result<const std::byte*> make_matrix_resident(const TensorView& matrix) {
    return make_resident({matrix.data, matrix.nbytes});
  }
  // `bytes` of host memory (host_visible) for data that this backend's
  // copies move every step, such as the logits: page-locked where that makes
  // the copies faster (CUDA: a copy from pageable memory goes through a
  // bounce buffer at a fraction of the bus's speed), ordinary memory
  // otherwise. Errors: out of memory.
  virtual Result<DeviceBuffer> allocate_host(size_t bytes) {
    void* data = std::malloc(std::max<size_t>(bytes, 1));
    if (data == nullptr) return Error{"out of host memory allocating " + std::to_string(bytes) + " bytes"};
    return DeviceBuffer(data, bytes, /*host_visible=*/true, [](void*, void* p) { std::free(p); }, nullptr);
  }
  // Copies between host memory and this device's memory (ordered after the
  // ops queued before them).
  virtual void copy_to_device(const void* host, void* device, size_t bytes) = 0;
  virtual void copy_to_host(const void* device, void* host, size_t bytes) = 0;
  // Waits until every queued op and copy has finished. Errors: anything that
  // failed on the device since the last synchronize.
  virtual Status synchronize() = 0;
  // Device allocations (a GPU's cudaMalloc) this backend has made so far:
  // a step loop that allocates shows up as this number rising. Host-memory
  // backends report 0 (their allocations are counted as host ones).
  virtual int64_t device_allocations() const { return 0; }
  // The device's own memory (a GPU's), every process's use counted: how
  // much there is and how much is free now. Nothing for backends that run
  // in host memory. The engine sizes its KV pool from it
  // (EngineOptions::gpu_memory_utilization).
  virtual std::optional<DeviceMemory> device_memory() const { return std::nullopt; }
  // What this backend holds on its device now: the weights made resident,
  // and the buffers allocated and not yet dropped (KV pool, activations,
  // scratch). 0 for host-memory backends (their weights stay in the file's
  // mapping).
  virtual DeviceMemoryUse device_memory_use() const { return {}; }
  // Reserves the scratch matmul needs for inputs of up to `max_rows` rows
  // of up to `max_cols` columns (the CPU backend quantizes each activation
  // row to int16 blocks there). ModelRunner calls it once, before the step
  // loop, so that no op allocates; grow-only. Backends without such scratch
  // keep the default. Errors: out of memory.
  virtual Status reserve_matmul_input(int64_t /*max_rows*/, int64_t /*max_cols*/) { return ok_status(); }

  // ---- step graphs (optional) -----------------------------------------
  //
  // A backend whose launches cost more than small kernels run (a GPU) may
  // record the ops of one forward step and replay them as one launch (CUDA
  // graphs). ModelRunner asks can_capture_step(n_tokens) for each step;
  // where it answers yes, it calls replay_step(shape) and, only if that
  // finds nothing recorded, begin_capture(shape), queues the step's ops as
  // usual, and end_capture(), which records them and runs them once. A
  // recorded step reads and writes only memory that stays in place
  // (weights, KV storage, activation buffers, the staged batch), so the same
  // shape replays the same ops on the new step's data. Failures surface at
  // synchronize() like any op's.
  virtual bool can_capture_step(int64_t /*n_tokens*/) const { return false; }
  virtual bool replay_step(const StepShape& /*shape*/) { return false; }
  virtual void begin_capture(const StepShape& /*shape*/) {}
  virtual void end_capture() {}
  // Drops every step recorded for `owner` (a runner going away).
  virtual void forget_steps(uint64_t /*owner*/) {}

  // ---- ops -----------------------------------------------------------

  // y[t, o] = sum_i x[t, i] * w[o, i] (+ bias[o]).
  // x: [n_tokens, in]; w: [out, in] of any DType; bias: [out] or null;
  // y: [n_tokens, out], must not alias x.
  virtual void matmul(const float* x, int64_t n_tokens, const TensorView& w, const float* bias, float* y) = 0;

  // The products of one input with several weights of the same input width
  // (a layer's Q, K and V; its gate and up): the same results as matmul
  // for each target in turn, but a backend may prepare the input once and
  // run all the products as one parallel region. No target's y may alias x
  // or another target's y. At most kMaxMatmulGroup targets.
  static constexpr size_t kMaxMatmulGroup = 4;
  virtual void matmul_group(const float* x, int64_t n_tokens, std::span<const MatmulTarget> targets) {
    for (const MatmulTarget& target : targets) matmul(x, n_tokens, *target.w, target.bias, target.y);
  }

  // out[t, :] = row tokens[t] of `table` ([vocab, dim], any DType) as float32,
  // for t < n_tokens. Token ids must be valid rows (the caller checks them).
  virtual void embed(const TensorView& table, const int32_t* tokens, int64_t n_tokens, float* out) = 0;

  // RMSNorm of each of `rows` rows of `dim` floats:
  // y = weight * x / sqrt(mean(x^2) + eps). Per-head norms (Qwen3 q/k)
  // pass rows = tokens * heads and dim = head_dim. y may equal x.
  virtual void rms_norm(const float* x, int64_t rows, int64_t dim, const float* weight, float eps, float* y) = 0;

  // Rotates, in place, every head of x: [n_tokens, n_heads * head_dim];
  // token t uses positions[t].
  virtual void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* positions,
                    const RopeParams& params) = 0;

  // Stores the rows of keys / values ([n_tokens, kv_heads * head_dim],
  // float32) in `layer` of `kv` at KV slots slot_mapping[t], converting to
  // the storage's dtype.
  virtual void kv_store(const float* keys, const float* values, int64_t n_tokens, const int32_t* slot_mapping,
                        int32_t layer, KvStorage& kv) = 0;

  // Causal attention of every row of `batch` over its sequence's positions
  // 0 .. its own, read from `layer` of `kv` through the batch's block
  // tables (the batch's own K/V must already be stored). Scale
  // 1/sqrt(head_dim), float32 softmax.
  // q: [n_tokens, query_heads * head_dim]; out: same shape.
  virtual void attention(const float* q, const ForwardBatch& batch, const AttentionShape& shape, int32_t layer,
                         const KvStorage& kv, float* out) = 0;

  // gate[i] = silu(gate[i]) * up[i] for i < n  (silu(z) = z / (1 + e^-z)).
  virtual void swiglu(float* gate, const float* up, int64_t n) = 0;

  // dst[i] += src[i] for i < n.
  virtual void add(float* dst, const float* src, int64_t n) = 0;

  // dst[i, :] = src[rows[i], :] for i < n_rows; rows of `width` floats.
  virtual void gather_rows(const float* src, int64_t width, const int32_t* rows, int64_t n_rows, float* dst) = 0;
  // out[r] = the first index of the largest value of row r of logits
  // [rows, vocab], the same among the ids not `excluded`, and whether the
  // row is all finite (row_argmax.h). `out` is device memory. The default
  // is for backends whose memory the host reads.
  virtual void argmax_rows(const float* logits, int64_t rows, int64_t vocab, const ExcludedIds& excluded,
                           RowArgmax* out) {
    argmax_rows_on_host(logits, rows, vocab, excluded, out);
  }
};

}  // namespace keel
