// CudaBackend: Backend on one NVIDIA GPU (see cuda_backend.h).
//
// Every op is queued on the backend's stream and returns at once. A CUDA
// or cuBLAS failure is recorded (the first one wins) and reported by the
// next synchronize(), which is where the device seam says failures surface.
//
// Matmul takes one of two paths by batch size:
//  - up to kMatvecMaxTokens token rows (decode): the matvec kernel streams
//    the weight in its stored dtype, decoding in registers;
//  - more (prefill): panels of weight rows are dequantized to float32 in a
//    fixed scratch buffer (kPanelFloats) and multiplied with cuBLAS SGEMM
//    (float32, no TF32: the exactness tests hold it to the reference).
#include "backend/cuda/cuda_backend.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backend/cuda/kernels.h"
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
  // Floats of the dequantization panel for the cuBLAS path: 64 MiB.
  static constexpr int64_t kPanelFloats = int64_t{16} << 20;
  static constexpr size_t kCublasWorkspaceBytes = size_t{32} << 20;

  static Result<std::unique_ptr<Backend>> create() {
    std::unique_ptr<CudaBackend> backend(new CudaBackend());
    if (cudaError_t e = cudaSetDevice(0); e != cudaSuccess) return Error{"cuda: cannot use GPU 0: " + describe(e)};
    if (cudaError_t e = cudaStreamCreateWithFlags(&backend->stream_, cudaStreamNonBlocking); e != cudaSuccess)
      return Error{"cuda: cannot create a stream: " + describe(e)};
    if (cublasCreate(&backend->cublas_) != CUBLAS_STATUS_SUCCESS) return Error{"cuda: cuBLAS did not initialize"};
    cublasSetStream(backend->cublas_, backend->stream_);
    cublasSetMathMode(backend->cublas_, CUBLAS_PEDANTIC_MATH);  // float32 stays float32 (no TF32)
    if (cudaError_t e = device_malloc(&backend->cublas_workspace_, kCublasWorkspaceBytes, &backend->allocations_); e != cudaSuccess)
      return Error{"cuda: cannot reserve cuBLAS's workspace: " + describe(e)};
    cublasSetWorkspace(backend->cublas_, backend->cublas_workspace_, kCublasWorkspaceBytes);
    void* panel = nullptr;
    if (cudaError_t e = device_malloc(&panel, kPanelFloats * sizeof(float), &backend->allocations_); e != cudaSuccess)
      return Error{"cuda: cannot reserve the dequantization panel: " + describe(e)};
    backend->panel_ = static_cast<float*>(panel);
    return std::unique_ptr<Backend>(std::move(backend));
  }

  ~CudaBackend() override {
    if (stream_ != nullptr) cudaStreamSynchronize(stream_);
    for (void* p : resident_) cudaFree(p);
    cudaFree(panel_);
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
    return DeviceBuffer(data, bytes, /*host_visible=*/false, release, this);
  }

  Result<const std::byte*> make_resident(std::span<const std::byte> host) override {
    void* data = nullptr;
    if (cudaError_t e = device_malloc(&data, host.size(), &allocations_); e != cudaSuccess) {
      cudaGetLastError();
      return Error{"out of GPU memory uploading a weight of " + std::to_string(host.size()) + " bytes (" +
                   describe(e) + ")"};
    }
    resident_.push_back(data);
    if (cudaError_t e = cudaMemcpy(data, host.data(), host.size(), cudaMemcpyHostToDevice); e != cudaSuccess)
      return Error{"cuda: uploading a weight failed: " + describe(e)};
    return static_cast<const std::byte*>(data);
  }

  void copy_to_device(const void* host, void* device, size_t bytes) override {
    record(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, stream_));
  }
  void copy_to_host(const void* device, void* host, size_t bytes) override {
    record(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, stream_));
  }

  int64_t device_allocations() const override { return allocations_; }

  Status synchronize() override {
    record(cudaStreamSynchronize(stream_));
    if (failure_.empty()) return ok_status();
    Error error{"cuda: " + failure_};
    failure_.clear();
    return error;
  }

  // ---- ops ----

  void matmul(const float* x, int64_t n_tokens, const TensorView& w, const float* bias, float* y) override {
    KEEL_CHECK(w.rank == 2, "matmul weight must be a matrix: " + w.describe());
    const int64_t in = w.cols(), out = w.rows();
    const auto row_bytes = static_cast<int64_t>(w.row_bytes());
    if (n_tokens == 0) return;
    if (n_tokens <= cuda::kMatvecMaxTokens) {
      cuda::matvec(w.dtype, x, static_cast<int>(n_tokens), in, w.data, row_bytes, out, bias, y, stream_);
      check_launch("matvec");
      return;
    }
    // y (row-major [n_tokens, out]) is, to column-major cuBLAS, an out x n_tokens
    // matrix with leading dimension out; a panel of weight rows [rows, in] is
    // an in x rows matrix, used transposed.
    const float one = 1.0f, zero = 0.0f;
    const bool in_place = w.dtype == DType::F32;
    const int64_t panel_rows = in_place ? out : std::max<int64_t>(1, kPanelFloats / in);
    for (int64_t first = 0; first < out; first += panel_rows) {
      const int64_t rows = std::min(panel_rows, out - first);
      const float* a = reinterpret_cast<const float*>(w.data) + first * in;
      if (!in_place) {
        cuda::dequantize_rows(w.dtype, w.data, row_bytes, in, first, rows, panel_, stream_);
        check_launch("dequantize_rows");
        a = panel_;
      }
      const cublasStatus_t status =
          cublasSgemm(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(rows), static_cast<int>(n_tokens),
                      static_cast<int>(in), &one, a, static_cast<int>(in), x, static_cast<int>(in), &zero, y + first,
                      static_cast<int>(out));
      if (status != CUBLAS_STATUS_SUCCESS && failure_.empty())
        failure_ = "cublasSgemm failed (status " + std::to_string(static_cast<int>(status)) + ")";
    }
    if (bias != nullptr) {
      cuda::add_bias(y, bias, n_tokens, out, stream_);
      check_launch("add_bias");
    }
  }

  void embed(const TensorView& table, const int32_t* tokens, int64_t n_tokens, float* out) override {
    cuda::embed(table.dtype, table.data, static_cast<int64_t>(table.row_bytes()), table.cols(), tokens, n_tokens,
                out, stream_);
    check_launch("embed");
  }

  void rms_norm(const float* x, int64_t rows, int64_t dim, const float* weight, float eps, float* y) override {
    cuda::rms_norm(x, rows, dim, weight, eps, y, stream_);
    check_launch("rms_norm");
  }

  void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* positions,
            const RopeParams& params) override {
    cuda::rope(x, n_tokens, n_heads, head_dim, positions, params.style, params.rotary_dims, params.inv_frequency,
               stream_);
    check_launch("rope");
  }

  void kv_store(const float* keys, const float* values, int64_t n_tokens, const int32_t* slot_mapping, int32_t layer,
                KvStorage& kv) override {
    const KvStorageShape& shape = kv.shape();
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
    cuda::attention(launch, stream_);
    check_launch("attention");
  }

  void swiglu(float* gate, const float* up, int64_t n) override {
    cuda::swiglu(gate, up, n, stream_);
    check_launch("swiglu");
  }
  void add(float* dst, const float* src, int64_t n) override {
    cuda::add(dst, src, n, stream_);
    check_launch("add");
  }
  void gather_rows(const float* src, int64_t width, const int32_t* rows, int64_t n_rows, float* dst) override {
    cuda::gather_rows(src, width, rows, n_rows, dst, stream_);
    check_launch("gather_rows");
  }

 private:
  CudaBackend() = default;

  static void release(void* context, void* data) {
    auto* self = static_cast<CudaBackend*>(context);
    cudaStreamSynchronize(self->stream_);  // no queued op may still use it
    cudaFree(data);
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
  float* panel_ = nullptr;            // [kPanelFloats]
  std::vector<void*> resident_;       // weights made resident, freed with the backend
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

Result<std::unique_ptr<Backend>> make_cuda_backend() { return CudaBackend::create(); }

}  // namespace keel
