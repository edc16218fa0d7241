// The CUDA backend's entry points, for the registry. This header includes
// no CUDA header: only src/backend/cuda/ sees the CUDA toolkit.
//
// The backend itself (cuda_backend.cpp) keeps every tensor in device
// memory: weights uploaded once at load in their stored dtype, buffers
// cudaMalloc'ed once when an engine starts, and its own scratch (the
// dequantization panel for large batches, cuBLAS's workspace) reserved
// when the backend is made. Ops are queued on one stream; failures
// surface at synchronize(). Every cudaMalloc is counted
// (Backend::device_allocations), so a step loop that allocates shows.
#pragma once

#include <cstdint>
#include <memory>

#include "backend/backend.h"
#include "core/result.h"

namespace keel {

// True when the CUDA driver reports at least one usable GPU.
bool cuda_device_present();

// A backend on GPU 0, with float32 products throughout (exact_kernels) or
// the fast kernels (integer-dot decode, bf16 tensor-core prefill). Errors:
// no GPU, or its scratch could not be reserved.
Result<std::unique_ptr<Backend>> make_cuda_backend(bool exact_kernels);

}  // namespace keel
