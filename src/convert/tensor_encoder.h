// Re-encodes one tensor in the storage type a GGUF file asks for.
//
// The rule is llama.cpp's converter's: 1-D tensors (norms, biases) stay F32
// whatever the file type, because they are tiny and quantizing them costs
// accuracy for nothing; every tensor of rank 2 or more takes the file type.
// A quantized type needs rows that are whole blocks (32 elements); a tensor
// whose rows are not falls back to F16, as gguf-py does.
#pragma once

#include <cstddef>
#include <vector>

#include "core/dtype.h"
#include "core/tensor.h"

namespace keel {

// The storage type `tensor` gets in a file of type `file_type`.
DType storage_type_for(const TensorView& tensor, DType file_type);

// `tensor` (any dtype keel decodes) encoded row by row as `type`.
std::vector<std::byte> encode_tensor(const TensorView& tensor, DType type);

}  // namespace keel
