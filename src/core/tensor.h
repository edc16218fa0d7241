// TensorView: a non-owning view of a tensor's bytes (usually inside a
// memory-mapped model file).
//
// Shapes are outermost-first, as in PyTorch: a Linear weight is
// [out_features, in_features] and its last dimension is contiguous.
// GGUF lists dimensions the other way round (ne[0] innermost); readers
// reverse them so that every tensor in keel uses this one convention.
// Quantized blocks always run along the last (contiguous) dimension.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/dtype.h"

namespace keel {

struct TensorView {
  static constexpr int kMaxRank = 4;

  DType dtype = DType::F32;
  int rank = 0;
  std::array<int64_t, kMaxRank> shape{};  // outermost first; entries past rank are unused
  const std::byte* data = nullptr;
  size_t nbytes = 0;

  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= shape[i];
    return n;
  }
  // Length of the contiguous last dimension (1 for a scalar).
  int64_t cols() const { return rank == 0 ? 1 : shape[rank - 1]; }
  // Number of rows: the product of every dimension but the last.
  int64_t rows() const { return rank == 0 ? 1 : numel() / shape[rank - 1]; }
  size_t row_bytes() const { return dtype_row_bytes(dtype, cols()); }
  const std::byte* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes(); }

  // "[4096, 4096] q8_0", for messages.
  std::string describe() const;
};

}  // namespace keel
