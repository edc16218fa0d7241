#include "convert/tensor_encoder.h"

#include "core/check.h"
#include "core/dequantize.h"

#include <string>

namespace keel {

DType storage_type_for(const TensorView& tensor, DType file_type) {
  if (tensor.rank < 2) return DType::F32;
  if (is_quantized(file_type) && tensor.cols() % dtype_info(file_type).block_elems != 0) return DType::F16;
  return file_type;
}

std::vector<std::byte> encode_tensor(const TensorView& tensor, DType type) {
  const int64_t cols = tensor.cols();
  const int64_t rows = tensor.rows();
  const size_t out_row_bytes = dtype_row_bytes(type, cols);
  std::vector<std::byte> out(out_row_bytes * static_cast<size_t>(rows));
  std::vector<float> row_values(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    dequantize_row(tensor.dtype, tensor.row(r), row_values.data(), cols);
    std::byte* destination = out.data() + static_cast<size_t>(r) * out_row_bytes;
    const bool encoded = quantize_row(type, row_values.data(), destination, cols);
    KEEL_CHECK(encoded, "keel cannot encode " + std::string(dtype_info(type).name));
  }
  return out;
}

}  // namespace keel
