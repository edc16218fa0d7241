// libFuzzer entry point: GgufFile::parse on arbitrary bytes. Every parsed
// value is read so that a view pointing outside the input is caught by
// AddressSanitizer.
#include <cstddef>
#include <cstdint>

#include "format/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = keel::GgufFile::parse(reinterpret_cast<const std::byte*>(data), size, "fuzz");
  if (!file.ok()) return 0;
  size_t sum = 0;
  for (const auto& [key, value] : file->metadata()) {
    sum += key.size();
    if (!value.str.empty()) sum += static_cast<size_t>(value.str.back());
    for (std::string_view text : value.strings)
      if (!text.empty()) sum += static_cast<size_t>(text.front()) + static_cast<size_t>(text.back());
    if (value.type == keel::GgufType::ARRAY) {
      (void)file->get_int_array(key);
      (void)file->get_float_array(key);
    }
  }
  for (const keel::GgufTensorInfo& tensor : file->tensors()) {
    if (tensor.view.nbytes > 0)
      sum += static_cast<size_t>(tensor.view.data[0]) + static_cast<size_t>(tensor.view.data[tensor.view.nbytes - 1]);
    sum += static_cast<size_t>(tensor.view.numel()) + tensor.view.row_bytes() * static_cast<size_t>(tensor.view.rows());
  }
  return sum == 1 ? 0 : 0;  // keep `sum` observable without affecting the result
}
