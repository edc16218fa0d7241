// GgufWriter: builds a GGUF version 3 file (metadata, then tensors), with
// the layout llama.cpp's reader requires: tensor data in order, each blob
// padded to `general.alignment` (default 32).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/result.h"

namespace keel {

class GgufWriter {
 public:
  void add_string(const std::string& key, const std::string& value);
  void add_uint32(const std::string& key, uint32_t value);
  void add_int32(const std::string& key, int32_t value);
  void add_uint64(const std::string& key, uint64_t value);
  void add_float32(const std::string& key, float value);
  void add_bool(const std::string& key, bool value);
  void add_string_array(const std::string& key, const std::vector<std::string>& values);
  void add_int32_array(const std::string& key, const std::vector<int32_t>& values);
  void add_float32_array(const std::string& key, const std::vector<float>& values);

  // `shape` is outermost-first (PyTorch order); `data` holds the encoded
  // bytes of `dtype` (dtype_row_bytes(dtype, cols) * rows).
  void add_tensor(const std::string& name, DType dtype, std::vector<int64_t> shape,
                  std::span<const std::byte> data);

  // Serialises everything added so far.
  std::vector<std::byte> to_bytes() const;
  Status write(const std::filesystem::path& path) const;

 private:
  struct Tensor {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<std::byte> data;
  };
  std::vector<std::byte> metadata_;  // encoded key/value pairs
  uint64_t metadata_count_ = 0;
  uint32_t alignment_ = 32;
  std::vector<Tensor> tensors_;
};

}  // namespace keel
