// libFuzzer entry point: SafetensorsFile::parse on arbitrary bytes. Every
// tensor's first and last byte is read so that a view outside the input is
// caught by AddressSanitizer.
#include <cstddef>
#include <cstdint>

#include "format/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = keel::SafetensorsFile::parse(reinterpret_cast<const std::byte*>(data), size, "fuzz");
  if (!file.ok()) return 0;
  size_t sum = 0;
  for (const auto& [name, view] : file->tensors()) {
    sum += name.size() + static_cast<size_t>(view.numel()) + view.row_bytes() * static_cast<size_t>(view.rows());
    if (view.nbytes > 0) sum += static_cast<size_t>(view.data[0]) + static_cast<size_t>(view.data[view.nbytes - 1]);
  }
  for (const auto& [key, value] : file->metadata()) sum += key.size() + value.size();
  for (const auto& [name, reason] : file->unsupported()) sum += name.size() + reason.size();
  return sum == 1 ? 0 : 0;
}
