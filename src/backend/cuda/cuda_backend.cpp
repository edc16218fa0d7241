// CudaBackend: Backend on one NVIDIA GPU (see cuda_backend.h).
//
// Every op is queued on the backend's stream and returns at once. A CUDA
// or cuBLAS failure is recorded (the first one wins) and reported by the
// next synchronize(), which is where the device seam says failures surface.
//
// Matmul takes one of two paths by batch size, each in two modes:
//  - up to kMatvecMaxTokens token rows (decode): a weight-streaming matvec.
//    Exact (--exact-kernels): float32 products on weights decoded in
//    registers (matvec.cu; f16/bf16 rows straight from memory,
//    matvec_16bit.cu). Fast, the default: block-quantized weights take the
//    integer-dot matvec on int16-quantized activations (matvec_int.cu), as
//    the CPU's fast path does;
//  - more (prefill): panels of weight rows decoded in a fixed scratch buffer
//    (kPanelBytes) and multiplied with cuBLAS. Exact: float32 panels and
//    SGEMM (no TF32: the exactness tests hold it to the reference). Fast,
//    on block-quantized and f16 weights: f16 panels (f16 weights in place)
//    and the input in f16 under a power-of-two scale, one GEMM on the
//    tensor cores with float32 sums (11 significant bits an operand). Fast,
//    on bf16 weights (which f16 cannot always hold): the input split into
//    bf16 hi + lo and two bf16 GEMMs on the weight in place — close to
//    float32, where a single bf16 GEMM (8 bits an operand) missed the fast
//    path's quality bar. Up to kStackedMaxTokens rows (batched decode), the
//    two are one GEMM on [x_hi; x_lo]: the weight read once.
//    KEEL_CUDA_HALF_GEMM=0 sends every weight type to the split (three
//    GEMMs on a split panel for those that are not bf16), to measure it.
#include "backend/cuda/cuda_backend.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string_view>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/cuda/kernels.h"
#include "backend/cuda/op_timer.h"
#include "backend/cuda/split_row_layout.h"
#include "core/check.h"

namespace keel {
namespace {

// cudaMalloc, counted for the backend that asked.
cudaError_t device_malloc(void** pointer, size_t bytes, int64_t* backend_count) {
  ++*backend_count;
  return cudaMalloc(pointer, std::max<size_t>(bytes, 1));
}

std::string describe(cudaError_t error) { return std::string(cudaGetErrorName(error)) + ": " + cudaGetErrorString(error); }

class CudaBackend final : public Backend {
 public:
  // The dequantization panel for the cuBLAS path: 64 MiB.
  static constexpr int64_t kPanelBytes = int64_t{64} << 20;
  static constexpr size_t kCublasWorkspaceBytes = size_t{32} << 20;
  // The stacked GEMM's [rows, 2 * n_tokens] float32 result: 16 MiB.
  static constexpr int64_t kStackedBytes = int64_t{16} << 20;

  static Result<std::unique_ptr<Backend>> create(bool exact_kernels) {
    std::unique_ptr<CudaBackend> backend(new CudaBackend());
    backend->exact_ = exact_kernels;
    const char* graphs = std::getenv("KEEL_CUDA_GRAPHS");
    backend->graphs_enabled_ = graphs == nullptr || std::string_view(graphs) != "0";
    const char* stacked_gemm = std::getenv("KEEL_CUDA_STACKED_GEMM");
    backend->stacked_gemm_ = stacked_gemm == nullptr || std::string_view(stacked_gemm) != "0";
    if (const char* rows = std::getenv("KEEL_CUDA_16BIT_MATVEC_MAX_TOKENS"); rows != nullptr)
      backend->sixteen_bit_matvec_max_tokens_ = std::clamp(std::atoi(rows), 1, cuda::kMatvecMaxTokens);
    if (const char* rows = std::getenv("KEEL_CUDA_GRAPH_MAX_TOKENS"); rows != nullptr)
      backend->graph_max_tokens_ = std::clamp(std::atoi(rows), 1, 4096);
    if (const char* profile = std::getenv("KEEL_CUDA_PROFILE"); profile != nullptr && std::string_view(profile) == "1") {
      backend->op_timer_.enable();
      backend->graphs_enabled_ = false;  // events inside a recorded graph are not timed
    }
    const char* half_gemm = std::getenv("KEEL_CUDA_HALF_GEMM");
    backend->half_gemm_ = half_gemm == nullptr || std::string_view(half_gemm) != "0";
    const char* flash = std::getenv("KEEL_CUDA_FLASH_ATTENTION");
    backend->flash_attention_ = flash == nullptr || std::string_view(flash) != "0";
    if (cudaError_t e = cudaSetDevice(0); e != cudaSuccess) return Error{"cuda: cannot use GPU 0: " + describe(e)};
    cudaDeviceProp properties{};
    if (cudaGetDeviceProperties(&properties, 0) == cudaSuccess) backend->device_name_ = properties.name;
    if (cudaError_t e = cudaStreamCreateWithFlags(&backend->stream_, cudaStreamNonBlocking); e != cudaSuccess)
      return Error{"cuda: cannot create a stream: " + describe(e)};
    if (cublasCreate(&backend->cublas_) != CUBLAS_STATUS_SUCCESS) return Error{"cuda: cuBLAS did not initialize"};
    cublasSetStream(backend->cublas_, backend->stream_);
    // Exact: float32 stays float32 (no TF32, no reduced-precision
    // reductions). Fast: the default math, which lets the bf16 GEMM use the
    // tensor cores (SGEMM still does not use TF32 unless asked).
    cublasSetMathMode(backend->cublas_, exact_kernels ? CUBLAS_PEDANTIC_MATH : CUBLAS_DEFAULT_MATH);
    if (cudaError_t e = device_malloc(&backend->cublas_workspace_, kCublasWorkspaceBytes, &backend->allocations_); e != cudaSuccess)
      return Error{"cuda: cannot reserve cuBLAS's workspace: " + describe(e)};
    cublasSetWorkspace(backend->cublas_, backend->cublas_workspace_, kCublasWorkspaceBytes);
    void* panel = nullptr;
    if (cudaError_t e = device_malloc(&panel, kPanelBytes, &backend->allocations_); e != cudaSuccess)
      return Error{"cuda: cannot reserve the dequantization panel: " + describe(e)};
    backend->panel_ = panel;
    void* stacked = nullptr;
    if (cudaError_t e = device_malloc(&stacked, kStackedBytes, &backend->allocations_); e != cudaSuccess)
      return Error{"cuda: cannot reserve the stacked GEMM's scratch: " + describe(e)};
    backend->stacked_ = static_cast<float*>(stacked);
    void* half_scale = nullptr;
    if (cudaError_t e = device_malloc(&half_scale, sizeof(cuda::HalfInputScale), &backend->allocations_); e != cudaSuccess)
      return Error{"cuda: cannot reserve the f16 GEMM's scale: " + describe(e)};
    cudaMemset(half_scale, 0, sizeof(cuda::HalfInputScale));  // zero: beta
    backend->half_scale_ = static_cast<cuda::HalfInputScale*>(half_scale);
    return std::unique_ptr<Backend>(std::move(backend));
  }

  ~CudaBackend() override {
    if (stream_ != nullptr) cudaStreamSynchronize(stream_);
    forget_all_steps();
    for (void* p : resident_) cudaFree(p);
    free_input_scratch();
    cudaFree(panel_);
    cudaFree(stacked_);
    cudaFree(half_scale_);
    cudaFree(cublas_workspace_);
    if (cublas_ != nullptr) cublasDestroy(cublas_);
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
  }

  std::string_view name() const override { return "cuda"; }

  // ---- memory ----

  Result<DeviceBuffer> allocate(size_t bytes) override {
    void* data = nullptr;
    if (cudaError_t e = device_malloc(&data, bytes, &allocations_); e != cudaSuccess) {
      cudaGetLastError();  // an out-of-memory error is not sticky: clear it
      return Error{"out of GPU memory allocating " + std::to_string(bytes) + " bytes (" + describe(e) + ")"};
    }
    cudaMemsetAsync(data, 0, std::max<size_t>(bytes, 1), stream_);
    live_buffers_.emplace(data, bytes);
    buffer_bytes_ += static_cast<int64_t>(bytes);
    return DeviceBuffer(data, bytes, /*host_visible=*/false, release, this);
  }

  // Page-locked: the logits come back over the bus at its speed, where a
  // copy into pageable memory is staged through the driver's bounce buffer.
  // Not a device allocation (the step-loop counter counts cudaMalloc).
  Result<DeviceBuffer> allocate_host(size_t bytes) override {
    void* data = nullptr;
    if (cudaError_t e = cudaMallocHost(&data, std::max<size_t>(bytes, 1)); e != cudaSuccess) {
      cudaGetLastError();
      return Error{"out of page-locked host memory allocating " + std::to_string(bytes) + " bytes (" + describe(e) +
                   ")"};
    }
    return DeviceBuffer(data, bytes, /*host_visible=*/true, [](void*, void* p) { cudaFreeHost(p); }, nullptr);
  }

  Result<const std::byte*> make_resident(std::span<const std::byte> host) override {
    void* data = nullptr;
    if (cudaError_t e = device_malloc(&data, host.size(), &allocations_); e != cudaSuccess) {
      cudaGetLastError();
      return Error{"out of GPU memory uploading a weight of " + std::to_string(host.size()) + " bytes (" +
                   describe(e) + ")"};
    }
    resident_.push_back(data);
    weight_bytes_ += static_cast<int64_t>(host.size());
    if (cudaError_t e = cudaMemcpy(data, host.data(), host.size(), cudaMemcpyHostToDevice); e != cudaSuccess)
      return Error{"cuda: uploading a weight failed: " + describe(e)};
    return static_cast<const std::byte*>(data);
  }

  // Q8_0 and Q6_K rows go split into block bodies and scales
  // (split_row_layout.h), the layout every kernel of this backend reads;
  // other dtypes as stored.
  Result<const std::byte*> make_matrix_resident(const TensorView& matrix) override {
    if (matrix.dtype != DType::Q8_0 && matrix.dtype != DType::Q6_K)
      return make_resident({matrix.data, matrix.nbytes});
    const bool q8_0 = matrix.dtype == DType::Q8_0;
    const int64_t block_bytes = q8_0 ? cuda::kQ8_0BlockBytes : cuda::kQ6_KBlockBytes;
    std::vector<std::byte> split(matrix.nbytes);  // load time only: a host copy of one tensor
    cuda::split_block_rows(block_bytes, q8_0 ? cuda::kQ8_0ScaleAt : cuda::kQ6_KScaleAt, matrix.data, split.data(),
                           matrix.rows(), static_cast<int64_t>(matrix.row_bytes()) / block_bytes);
    return make_resident(split);
  }

  void copy_to_device(const void* host, void* device, size_t bytes) override {
    const auto timed = op_timer_.scope("copy to device", stream_);
    record(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, stream_));
  }
  void copy_to_host(const void* device, void* host, size_t bytes) override {
    const auto timed = op_timer_.scope("copy to host", stream_);
    record(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, stream_));
  }

  int64_t device_allocations() const override { return allocations_; }

  std::optional<DeviceMemory> device_memory() const override {
    size_t free = 0, total = 0;
    if (cudaMemGetInfo(&free, &total) != cudaSuccess) {
      cudaGetLastError();
      return std::nullopt;
    }
    return DeviceMemory{device_name_, static_cast<int64_t>(total), static_cast<int64_t>(free)};
  }
  // The backend's own scratch (cuBLAS workspace, dequantization panel,
  // stacked GEMM result, input split) counts with the buffers.
  DeviceMemoryUse device_memory_use() const override {
    return {weight_bytes_, buffer_bytes_ + static_cast<int64_t>(kCublasWorkspaceBytes) + kPanelBytes +
                               kStackedBytes + static_cast<int64_t>(sizeof(cuda::HalfInputScale)) + input_scratch_bytes_};
  }

  // The fast path's input scratch: the bf16 hi/lo split of a GEMM input
  // [max_rows, max_cols] and the int16 blocks of a matvec input (at most
  // kMatvecMaxTokens rows). Grow-only; reserved before the step loop.
  Status reserve_matmul_input(int64_t max_rows, int64_t max_cols) override {
    if (max_rows < 0 || max_cols < 0) return Error{"reserve_matmul_input: negative size"};
    if (exact_ || (max_rows <= reserved_rows_ && max_cols <= reserved_cols_)) return ok_status();
    const int64_t rows = std::max(max_rows, reserved_rows_), cols = std::max(max_cols, reserved_cols_);
    const int64_t matvec_rows = std::min<int64_t>(rows, cuda::kMatvecMaxTokens);
    const int64_t blocks = matvec_rows * ((cols + cuda::kQuantBlock - 1) / cuda::kQuantBlock);
    // Recorded steps name the old scratch: none may replay once it goes.
    forget_all_steps();
    free_input_scratch();
    void* pointers[4] = {};
    const size_t bytes[4] = {static_cast<size_t>(2 * rows * cols) * sizeof(uint16_t),
                             static_cast<size_t>(blocks * cuda::kQuantBlock) * sizeof(int16_t),
                             static_cast<size_t>(blocks) * sizeof(float), static_cast<size_t>(blocks) * sizeof(int32_t)};
    for (int i = 0; i < 4; ++i) {
      if (cudaError_t e = device_malloc(&pointers[i], bytes[i], &allocations_); e != cudaSuccess) {
        cudaGetLastError();
        for (void* p : pointers) cudaFree(p);
        return Error{"out of GPU memory reserving the matmul input scratch for [" + std::to_string(rows) + ", " +
                     std::to_string(cols) + "] (" + describe(e) + ")"};
      }
    }
    input_split_ = {static_cast<uint16_t*>(pointers[0]), static_cast<uint16_t*>(pointers[0]) + rows * cols};
    quantized_ = {static_cast<int16_t*>(pointers[1]), static_cast<float*>(pointers[2]),
                  static_cast<int32_t*>(pointers[3])};
    reserved_rows_ = rows;
    reserved_cols_ = cols;
    input_scratch_bytes_ = static_cast<int64_t>(bytes[0] + bytes[1] + bytes[2] + bytes[3]);
    return ok_status();
  }

  Status synchronize() override {
    record(cudaStreamSynchronize(stream_));
    if (op_timer_.enabled()) op_timer_.collect();
    if (failure_.empty()) return ok_status();
    Error error{"cuda: " + failure_};
    failure_.clear();
    return error;
  }

  // ---- step graphs ----
  //
  // Decode-sized steps are recorded once per StepShape as a CUDA graph and
  // replayed: one launch instead of a dozen per layer, with no gaps between
  // the kernels. The graphs live in a fixed table (kMaxGraphs, the least
  // recently used one replaced), so the step loop allocates nothing on the
  // host either. KEEL_CUDA_GRAPHS=0 turns them off (to measure them);
  // KEEL_CUDA_GRAPH_MAX_TOKENS sets the largest step recorded.
  bool can_capture_step(int64_t n_tokens) const override {
    return graphs_enabled_ && n_tokens > 0 && n_tokens <= graph_max_tokens_;
  }

  bool replay_step(const StepShape& shape) override {
    for (RecordedStep& step : graphs_) {
      if (step.exec == nullptr || !(step.shape == shape)) continue;
      step.last_used = ++graph_clock_;
      record(cudaGraphLaunch(step.exec, stream_));
      return true;
    }
    return false;
  }

  void begin_capture(const StepShape& shape) override {
    capturing_ = shape;
    record(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
  }

  void end_capture() override {
    cudaGraph_t graph = nullptr;
    const cudaError_t ended = cudaStreamEndCapture(stream_, &graph);
    record(ended);
    if (ended != cudaSuccess || graph == nullptr) return;  // the step's ops did not run: synchronize() reports it
    cudaGraphExec_t exec = nullptr;
    const cudaError_t made = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);
    record(made);
    if (made != cudaSuccess) return;
    RecordedStep* slot = &graphs_[0];
    for (RecordedStep& step : graphs_)
      if (step.exec == nullptr || step.last_used < slot->last_used) slot = &step;
    if (slot->exec != nullptr) cudaGraphExecDestroy(slot->exec);
    *slot = RecordedStep{capturing_, exec, ++graph_clock_};
    record(cudaGraphLaunch(exec, stream_));
  }

  void forget_steps(uint64_t owner) override {
    for (RecordedStep& step : graphs_) {
      if (step.exec == nullptr || step.shape.owner != owner) continue;
      cudaGraphExecDestroy(step.exec);
      step = RecordedStep{};
    }
  }

  void forget_all_steps() {
    for (RecordedStep& step : graphs_) {
      if (step.exec != nullptr) cudaGraphExecDestroy(step.exec);
      step = RecordedStep{};
    }
  }

  // ---- ops ----

  void matmul(const float* x, int64_t n_tokens, const TensorView& w, const float* bias, float* y) override {
    KEEL_CHECK(w.rank == 2, "matmul weight must be a matrix: " + w.describe());
    const int64_t in = w.cols(), out = w.rows();
    const auto row_bytes = static_cast<int64_t>(w.row_bytes());
    if (n_tokens == 0) return;
    if (takes_integer_matvec(w.dtype, n_tokens, in)) {
      const auto timed = op_timer_.scope("matmul: int-dot matvec", stream_);
      quantize_input(x, n_tokens, in);
      integer_matvec(w, n_tokens, bias, y);
      return;
    }
    if (n_tokens <= cuda::kMatvecMaxTokens && !sixteen_bit_takes_gemm(w.dtype, n_tokens, in)) {
      const auto timed = op_timer_.scope("matmul: matvec", stream_);
      cuda::matvec(w.dtype, x, static_cast<int>(n_tokens), in, w.data, row_bytes, out, bias, y, stream_);
      check_launch("matvec");
      return;
    }
    if (fast_input_fits(n_tokens, in) && takes_half_gemm(w.dtype, n_tokens)) {
      const auto timed = op_timer_.scope("matmul: f16 GEMM", stream_);
      gemm_half(x, n_tokens, w, in, out, row_bytes, y);
    } else if (fast_input_fits(n_tokens, in) && w.dtype != DType::F32) {
      const bool stacked = stacked_gemm_ && n_tokens <= cuda::kStackedMaxTokens;
      const auto timed = op_timer_.scope(stacked ? "matmul: stacked split GEMM" : "matmul: split GEMM", stream_);
      gemm_split(x, n_tokens, w, in, out, row_bytes, y);
    } else {
      const auto timed = op_timer_.scope("matmul: float32 GEMM", stream_);
      gemm_f32(x, n_tokens, w, in, out, row_bytes, y);
    }
    if (bias != nullptr) {
      cuda::add_bias(y, bias, n_tokens, out, stream_);
      check_launch("add_bias");
    }
  }

  // A decode group whose weights all take the integer-dot matvec quantizes
  // the shared input once; anything else is the targets' matmuls in turn.
  void matmul_group(const float* x, int64_t n_tokens, std::span<const MatmulTarget> targets) override {
    const int64_t in = targets.empty() ? 0 : targets[0].w->cols();
    bool shared = !targets.empty();
    for (const MatmulTarget& target : targets)
      shared = shared && target.w->rank == 2 && target.w->cols() == in &&
               takes_integer_matvec(target.w->dtype, n_tokens, in);
    if (!shared) {
      Backend::matmul_group(x, n_tokens, targets);
      return;
    }
    const auto timed = op_timer_.scope("matmul: int-dot matvec group", stream_);
    quantize_input(x, n_tokens, in);
    for (const MatmulTarget& target : targets) integer_matvec(*target.w, n_tokens, target.bias, target.y);
  }

  void embed(const TensorView& table, const int32_t* tokens, int64_t n_tokens, float* out) override {
    const auto timed = op_timer_.scope("embed", stream_);
    cuda::embed(table.dtype, table.data, static_cast<int64_t>(table.row_bytes()), table.cols(), tokens, n_tokens,
                out, stream_);
    check_launch("embed");
  }

  void rms_norm(const float* x, int64_t rows, int64_t dim, const float* weight, float eps, float* y) override {
    const auto timed = op_timer_.scope("rms_norm", stream_);
    cuda::rms_norm(x, rows, dim, weight, eps, y, stream_);
    check_launch("rms_norm");
  }

  void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* positions,
            const RopeParams& params) override {
    const auto timed = op_timer_.scope("rope", stream_);
    cuda::rope(x, n_tokens, n_heads, head_dim, positions, params.style, params.rotary_dims, params.inv_frequency,
               stream_);
    check_launch("rope");
  }

  void kv_store(const float* keys, const float* values, int64_t n_tokens, const int32_t* slot_mapping, int32_t layer,
                KvStorage& kv) override {
    const KvStorageShape& shape = kv.shape();
    const auto timed = op_timer_.scope("kv_store", stream_);
    cuda::kv_store(keys, values, n_tokens, shape.row_elems(), slot_mapping, shape.dtype, kv.keys(layer),
                   kv.values(layer), stream_);
    check_launch("kv_store");
  }

  void attention(const float* q, const ForwardBatch& batch, const AttentionShape& shape, int32_t layer,
                 const KvStorage& kv, float* out) override {
    if (shape.head_dim > cuda::kMaxHeadDim) {
      if (failure_.empty()) failure_ = "attention: head_dim " + std::to_string(shape.head_dim) + " exceeds " +
                                       std::to_string(cuda::kMaxHeadDim);
      return;
    }
    const cuda::AttentionLaunch launch{q,
                                       out,
                                       batch.positions.data(),
                                       batch.query_start.data(),
                                       batch.block_tables.data(),
                                       batch.n_tokens,
                                       batch.n_seqs,
                                       batch.max_blocks_per_seq,
                                       static_cast<int32_t>(shape.query_heads),
                                       static_cast<int32_t>(shape.kv_heads),
                                       static_cast<int32_t>(shape.head_dim),
                                       kv.shape().block_size,
                                       kv.shape().dtype,
                                       kv.keys(layer),
                                       kv.values(layer)};
    // Fast kernels: the tensor-core kernel for every step it applies to, so
    // that a row gets the same arithmetic in a prompt step, a decode step or
    // a mixed one (batching and prefix reuse change nothing).
    const auto timed = op_timer_.scope(batch.n_tokens > batch.n_seqs ? "attention (step with prompts)"
                                                                      : "attention (decode step)",
                                       stream_);
    if (!exact_ && flash_attention_ && cuda::flash_attention(launch, stream_)) {
      check_launch("flash_attention");
      return;
    }
    cuda::attention(launch, stream_);
    check_launch("attention");
  }

  void swiglu(float* gate, const float* up, int64_t n) override {
    const auto timed = op_timer_.scope("swiglu", stream_);
    cuda::swiglu(gate, up, n, stream_);
    check_launch("swiglu");
  }
  void add(float* dst, const float* src, int64_t n) override {
    const auto timed = op_timer_.scope("add", stream_);
    cuda::add(dst, src, n, stream_);
    check_launch("add");
  }
  void gather_rows(const float* src, int64_t width, const int32_t* rows, int64_t n_rows, float* dst) override {
    const auto timed = op_timer_.scope("gather_rows", stream_);
    cuda::gather_rows(src, width, rows, n_rows, dst, stream_);
    check_launch("gather_rows");
  }
  void argmax_rows(const float* logits, int64_t rows, int64_t vocab, const ExcludedIds& excluded,
                   RowArgmax* out) override {
    const auto timed = op_timer_.scope("argmax_rows", stream_);
    cuda::argmax_rows(logits, rows, vocab, excluded, out, stream_);
    check_launch("argmax_rows");
  }

 private:
  CudaBackend() = default;

  // The fast path's scratch holds inputs up to what was reserved; a larger
  // one (a caller that skipped reserve_matmul_input) takes the exact path
  // rather than overrunning it.
  bool fast_input_fits(int64_t n_tokens, int64_t in) const {
    return !exact_ && n_tokens <= reserved_rows_ && in <= reserved_cols_;
  }

  // Whether a few token rows on f16/bf16 weights go to the stacked GEMM
  // rather than the matvec (KEEL_CUDA_16BIT_MATVEC_MAX_TOKENS: the most rows
  // the matvec takes, 1 by default).
  bool sixteen_bit_takes_gemm(DType type, int64_t n_tokens, int64_t in) const {
    return (type == DType::F16 || type == DType::BF16) && n_tokens > sixteen_bit_matvec_max_tokens_ &&
           fast_input_fits(n_tokens, in);
  }

  // Whether the fast GEMM multiplies f16 operands: block-quantized and f16
  // weights, and bf16 weights from kBf16HalfGemmMinTokens rows on (their
  // panel converted); else the bf16 split (bf16 weights in shorter batches,
  // and everything under KEEL_CUDA_HALF_GEMM=0).
  bool takes_half_gemm(DType type, int64_t n_tokens) const {
    if (!half_gemm_ || type == DType::F32) return false;
    return type != DType::BF16 || n_tokens >= cuda::kBf16HalfGemmMinTokens;
  }

  // Whether a product of this shape runs as the integer-dot matvec on the
  // input quantized to int16 blocks (the fast path's decode).
  bool takes_integer_matvec(DType type, int64_t n_tokens, int64_t in) const {
    return n_tokens > 0 && n_tokens <= cuda::kMatvecMaxTokens && fast_input_fits(n_tokens, in) &&
           cuda::has_integer_dot(type) && in % cuda::kQuantBlock == 0;
  }

  // x: [n_tokens, in] into the int16 blocks integer_matvec reads.
  void quantize_input(const float* x, int64_t n_tokens, int64_t in) {
    cuda::quantize_activations(x, n_tokens, in, quantized_, stream_);
    check_launch("quantize_activations");
  }

  // y = (the quantized input) · wᵀ (+ bias).
  void integer_matvec(const TensorView& w, int64_t n_tokens, const float* bias, float* y) {
    cuda::matvec_int(w.dtype, quantized_, static_cast<int>(n_tokens), w.cols(), w.data,
                     static_cast<int64_t>(w.row_bytes()), w.rows(), bias, y, stream_);
    check_launch("matvec_int");
  }

  // y (row-major [n_tokens, out]) is, to column-major cuBLAS, an out x
  // n_tokens matrix with leading dimension out; a panel of weight rows
  // [rows, in] is an in x rows matrix, used transposed.
  void gemm_f32(const float* x, int64_t n_tokens, const TensorView& w, int64_t in, int64_t out, int64_t row_bytes,
                float* y) {
    const float one = 1.0f, zero = 0.0f;
    const bool in_place = w.dtype == DType::F32;
    const int64_t panel_rows = in_place ? out : std::max<int64_t>(1, kPanelBytes / int64_t{sizeof(float)} / in);
    auto* panel = static_cast<float*>(panel_);
    for (int64_t first = 0; first < out; first += panel_rows) {
      const int64_t rows = std::min(panel_rows, out - first);
      const float* a = reinterpret_cast<const float*>(w.data) + first * in;
      if (!in_place) {
        cuda::dequantize_rows(w.dtype, w.data, row_bytes, in, first, rows, panel, stream_);
        check_launch("dequantize_rows");
        a = panel;
      }
      check_cublas("cublasSgemm",
                   cublasSgemm(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(rows), static_cast<int>(n_tokens),
                               static_cast<int>(in), &one, a, static_cast<int>(in), x, static_cast<int>(in), &zero,
                               y + first, static_cast<int>(out)));
    }
  }

  // The product on the tensor cores for block-quantized and f16 weights
  // (and bf16 ones in long prompts): the weight panel decoded or converted
  // to f16 (f16 weights used in place), the input
  // rounded to f16 under a power-of-two scale that keeps it finite
  // (half_input.cu), one GEMM with float32 sums whose alpha, 1 / scale, and
  // beta, 0, cuBLAS reads from the device. Each operand keeps 11 significant
  // bits: about 2^-11 of each product, against 2^-8 for a bf16 operand.
  void gemm_half(const float* x, int64_t n_tokens, const TensorView& w, int64_t in, int64_t out, int64_t row_bytes,
                 float* y) {
    uint16_t* input = input_split_.hi;  // [n_tokens, in] f16: the split's hi half has the room
    cuda::to_half_scaled(x, n_tokens * in, input, half_scale_, stream_);
    check_launch("to_half_scaled");
    const bool in_place = w.dtype == DType::F16;
    const int64_t panel_rows = in_place ? out : std::max<int64_t>(1, kPanelBytes / int64_t{sizeof(uint16_t)} / in);
    auto* panel = static_cast<uint16_t*>(panel_);
    cublasSetPointerMode(cublas_, CUBLAS_POINTER_MODE_DEVICE);
    for (int64_t first = 0; first < out; first += panel_rows) {
      const int64_t rows = std::min(panel_rows, out - first);
      const auto* a = reinterpret_cast<const uint16_t*>(w.data + first * row_bytes);
      if (!in_place) {
        cuda::dequantize_rows_f16(w.dtype, w.data, row_bytes, in, first, rows, panel, stream_);
        check_launch("dequantize_rows_f16");
        a = panel;
      }
      // y[t, first + r] (column-major: rows x n_tokens, ld out) = Σ_k a[r, k] · input[t, k].
      check_cublas("cublasGemmEx",
                   cublasGemmEx(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(rows), static_cast<int>(n_tokens),
                                static_cast<int>(in), &half_scale_->alpha, a, CUDA_R_16F, static_cast<int>(in), input,
                                CUDA_R_16F, static_cast<int>(in), &half_scale_->zero, y + first, CUDA_R_32F,
                                static_cast<int>(out), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    }
    cublasSetPointerMode(cublas_, CUBLAS_POINTER_MODE_HOST);
  }

  // The same product on the tensor cores: both operands split into bf16
  // hi + lo (kernels.h), y = W_hi·x_hi + W_hi·x_lo + W_lo·x_hi in three
  // bf16 GEMMs with float32 sums — about float32's precision at tensor-core
  // speed. bf16 weights are their own hi, with no lo: two GEMMs, in place.
  // A batch of up to kStackedMaxTokens rows (batched decode) is bound by
  // reading the weight, not by its FLOPs: there the first two GEMMs are one,
  // W_hi·[x_hi; x_lo] into the stacked scratch, whose halves are then summed.
  void gemm_split(const float* x, int64_t n_tokens, const TensorView& w, int64_t in, int64_t out, int64_t row_bytes,
                  float* y) {
    // x_lo right after x_hi, so that [x_hi; x_lo] is one [2 * n_tokens, in] matrix.
    const cuda::SplitBf16 input{input_split_.hi, input_split_.hi + n_tokens * in};
    cuda::split_bf16(x, n_tokens * in, input, stream_);
    check_launch("split_bf16");
    const bool in_place = w.dtype == DType::BF16;
    const bool stacked = stacked_gemm_ && n_tokens <= cuda::kStackedMaxTokens;
    const int64_t panel_rows =
        in_place ? out : std::max<int64_t>(1, kPanelBytes / int64_t{2 * sizeof(uint16_t)} / in);
    auto* panel_hi = static_cast<uint16_t*>(panel_);
    const cuda::SplitBf16 panel{panel_hi, panel_hi + panel_rows * in};
    // c[rows, columns] (column-major, ld) = a[rows, in]ᵀ-as-stored · b[columns, in] (+ beta · c).
    auto gemm = [&](const void* a, int64_t rows, const uint16_t* b, int64_t columns, float beta, float* c, int64_t ld) {
      const float one = 1.0f;
      check_cublas("cublasGemmEx",
                   cublasGemmEx(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(rows), static_cast<int>(columns),
                                static_cast<int>(in), &one, a, CUDA_R_16BF, static_cast<int>(in), b, CUDA_R_16BF,
                                static_cast<int>(in), &beta, c, CUDA_R_32F, static_cast<int>(ld), CUBLAS_COMPUTE_32F,
                                CUBLAS_GEMM_DEFAULT));
    };
    // The stacked scratch holds [chunk_rows, 2 * n_tokens] floats.
    const int64_t chunk_rows = std::max<int64_t>(1, kStackedBytes / int64_t{2 * sizeof(float)} / n_tokens);
    for (int64_t first = 0; first < out; first += panel_rows) {
      const int64_t rows = std::min(panel_rows, out - first);
      const auto* w_hi = reinterpret_cast<const uint16_t*>(w.data + first * row_bytes);
      if (!in_place) {
        cuda::dequantize_rows_split(w.dtype, w.data, row_bytes, in, first, rows, panel, stream_);
        check_launch("dequantize_rows_split");
        w_hi = panel.hi;
      }
      if (stacked) {
        for (int64_t done = 0; done < rows; done += chunk_rows) {
          const int64_t chunk = std::min(chunk_rows, rows - done);
          gemm(w_hi + done * in, chunk, input.hi, 2 * n_tokens, 0.0f, stacked_, chunk);
          cuda::sum_stacked_halves(stacked_, n_tokens, chunk, y + first + done, out, stream_);
          check_launch("sum_stacked_halves");
        }
      } else {
        gemm(w_hi, rows, input.hi, n_tokens, 0.0f, y + first, out);
        gemm(w_hi, rows, input.lo, n_tokens, 1.0f, y + first, out);
      }
      if (!in_place) gemm(panel.lo, rows, input.hi, n_tokens, 1.0f, y + first, out);
    }
  }

  void free_input_scratch() {
    cudaFree(input_split_.hi);
    cudaFree(quantized_.values);
    cudaFree(quantized_.scales);
    cudaFree(quantized_.sums);
    input_split_ = {};
    quantized_ = {};
    reserved_rows_ = reserved_cols_ = 0;
    input_scratch_bytes_ = 0;
  }

  void check_cublas(const char* call, cublasStatus_t status) {
    if (status != CUBLAS_STATUS_SUCCESS && failure_.empty())
      failure_ = std::string(call) + " failed (status " + std::to_string(static_cast<int>(status)) + ")";
  }

  static void release(void* context, void* data) {
    auto* self = static_cast<CudaBackend*>(context);
    cudaStreamSynchronize(self->stream_);  // no queued op may still use it
    cudaFree(data);
    if (const auto live = self->live_buffers_.find(data); live != self->live_buffers_.end()) {
      self->buffer_bytes_ -= static_cast<int64_t>(live->second);
      self->live_buffers_.erase(live);
    }
  }

  void record(cudaError_t error) {
    if (error != cudaSuccess && failure_.empty()) failure_ = describe(error);
  }
  void check_launch(const char* kernel) {
    const cudaError_t error = cudaGetLastError();
    if (error != cudaSuccess && failure_.empty()) failure_ = std::string(kernel) + ": " + describe(error);
  }

  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  void* cublas_workspace_ = nullptr;
  bool exact_ = false;                // --exact-kernels: float32 products throughout
  void* panel_ = nullptr;             // [kPanelBytes]: float32, bf16 or f16 weight rows
  float* stacked_ = nullptr;          // [kStackedBytes]: the stacked GEMM's result
  cuda::HalfInputScale* half_scale_ = nullptr;  // the f16 GEMM's input scale, alpha and beta
  bool half_gemm_ = true;             // KEEL_CUDA_HALF_GEMM=0: block-quantized and f16 weights take the bf16 split
  bool stacked_gemm_ = true;          // KEEL_CUDA_STACKED_GEMM=0 turns it off (to measure it)
  // More rows than this on f16/bf16 weights take the stacked GEMM: 8 rows
  // stepped in 8.5 ms there against 23.2 ms in the matvec (8B bf16, H100),
  // 2 rows in 8.3 ms where 1 row's matvec takes 7.2.
  int sixteen_bit_matvec_max_tokens_ = 1;
  cuda::SplitBf16 input_split_{};     // the fast GEMM's input, hi then lo in one allocation: 2 x [rows, cols] bf16
  cuda::QuantizedInput quantized_{};  // the fast matvec's input, up to kMatvecMaxTokens rows
  int64_t reserved_rows_ = 0, reserved_cols_ = 0;
  struct RecordedStep {
    StepShape shape;
    cudaGraphExec_t exec = nullptr;
    uint64_t last_used = 0;
  };
  static constexpr size_t kMaxGraphs = 64;
  std::array<RecordedStep, kMaxGraphs> graphs_{};
  uint64_t graph_clock_ = 0;
  StepShape capturing_;
  bool graphs_enabled_ = true;
  // The largest step recorded as a graph: a server's decode batches, up to
  // kStackedMaxTokens rows (64 streams through keel serve on 8B bf16, H100:
  // 4,846 and 4,868 t/s recorded to 128 rows against 4,531 and 4,496 to 8,
  // alternated).
  int graph_max_tokens_ = cuda::kStackedMaxTokens;
  cuda::OpTimer op_timer_;            // KEEL_CUDA_PROFILE=1: GPU time per op, printed at exit
  bool flash_attention_ = true;       // KEEL_CUDA_FLASH_ATTENTION=0 keeps the float32 attention (to measure it)
  std::vector<void*> resident_;       // weights made resident, freed with the backend
  int64_t weight_bytes_ = 0;          // their bytes
  std::string device_name_ = "GPU 0";
  std::unordered_map<void*, size_t> live_buffers_;  // allocate()d and not yet released: their bytes
  int64_t buffer_bytes_ = 0;          // the sum of live_buffers_
  int64_t input_scratch_bytes_ = 0;   // reserve_matmul_input's four buffers
  std::string failure_;               // the first failure since the last synchronize
  int64_t allocations_ = 0;           // cudaMalloc calls made for this backend
};

}  // namespace

bool cuda_device_present() {
  int count = 0;
  const bool present = cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
  cudaGetLastError();  // "no driver" must not linger as the thread's last error
  return present;
}

Result<std::unique_ptr<Backend>> make_cuda_backend(bool exact_kernels) { return CudaBackend::create(exact_kernels); }

}  // namespace keel
