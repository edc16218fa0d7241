// GgufWriter: serialises metadata and tensors as GGUF version 3.
//
// Layout (../shared/reference/models-and-formats.md §2.1): header, key/value
// pairs, tensor infos, zero padding to the alignment, then the tensor blobs
// in the order they were added, each zero-padded to the alignment. Offsets
// are assigned cumulatively from 0, which is the exact layout llama.cpp's
// reader insists on.
#include "format/gguf_writer.h"

#include <bit>
#include <cstring>
#include <fstream>

#include "core/check.h"
#include "format/gguf.h"

namespace keel {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF"
constexpr uint32_t kVersion = 3;

template <class T>
void append(std::vector<std::byte>* out, const T& value) {
  static_assert(std::endian::native == std::endian::little, "GGUF is little-endian");
  // resize + memcpy rather than insert: GCC 12 warns falsely
  // (-Wstringop-overflow) about inserting into a still-empty vector.
  const size_t at = out->size();
  out->resize(at + sizeof(T));
  std::memcpy(out->data() + at, &value, sizeof(T));
}

void append_string(std::vector<std::byte>* out, std::string_view text) {
  append<uint64_t>(out, text.size());
  const size_t at = out->size();
  out->resize(at + text.size());
  if (!text.empty()) std::memcpy(out->data() + at, text.data(), text.size());
}

void append_padding(std::vector<std::byte>* out, uint32_t alignment) {
  const size_t padded = (out->size() + alignment - 1) / alignment * alignment;
  out->resize(padded, std::byte{0});
}

void append_key(std::vector<std::byte>* out, const std::string& key, GgufType type) {
  append_string(out, key);
  append<uint32_t>(out, static_cast<uint32_t>(type));
}

template <class T>
void append_array(std::vector<std::byte>* out, GgufType elem_type, const std::vector<T>& values) {
  append<uint32_t>(out, static_cast<uint32_t>(elem_type));
  append<uint64_t>(out, values.size());
  for (const T& value : values) append(out, value);
}

}  // namespace

void GgufWriter::add_string(const std::string& key, const std::string& value) {
  append_key(&metadata_, key, GgufType::STRING);
  append_string(&metadata_, value);
  ++metadata_count_;
}

void GgufWriter::add_uint32(const std::string& key, uint32_t value) {
  // general.alignment also governs the layout this writer produces.
  if (key == "general.alignment") {
    KEEL_CHECK(value != 0 && std::has_single_bit(value), "general.alignment must be a power of two");
    alignment_ = value;
  }
  append_key(&metadata_, key, GgufType::U32);
  append(&metadata_, value);
  ++metadata_count_;
}

void GgufWriter::add_int32(const std::string& key, int32_t value) {
  append_key(&metadata_, key, GgufType::I32);
  append(&metadata_, value);
  ++metadata_count_;
}

void GgufWriter::add_uint64(const std::string& key, uint64_t value) {
  append_key(&metadata_, key, GgufType::U64);
  append(&metadata_, value);
  ++metadata_count_;
}

void GgufWriter::add_float32(const std::string& key, float value) {
  append_key(&metadata_, key, GgufType::F32);
  append(&metadata_, value);
  ++metadata_count_;
}

void GgufWriter::add_bool(const std::string& key, bool value) {
  append_key(&metadata_, key, GgufType::BOOL);
  append<uint8_t>(&metadata_, value ? 1 : 0);
  ++metadata_count_;
}

void GgufWriter::add_string_array(const std::string& key, const std::vector<std::string>& values) {
  append_key(&metadata_, key, GgufType::ARRAY);
  append<uint32_t>(&metadata_, static_cast<uint32_t>(GgufType::STRING));
  append<uint64_t>(&metadata_, values.size());
  for (const std::string& value : values) append_string(&metadata_, value);
  ++metadata_count_;
}

void GgufWriter::add_int32_array(const std::string& key, const std::vector<int32_t>& values) {
  append_key(&metadata_, key, GgufType::ARRAY);
  append_array(&metadata_, GgufType::I32, values);
  ++metadata_count_;
}

void GgufWriter::add_float32_array(const std::string& key, const std::vector<float>& values) {
  append_key(&metadata_, key, GgufType::ARRAY);
  append_array(&metadata_, GgufType::F32, values);
  ++metadata_count_;
}

void GgufWriter::add_tensor(const std::string& name, DType dtype, std::vector<int64_t> shape,
                            std::span<const std::byte> data) {
  KEEL_CHECK(shape.size() <= 4, "GGUF tensors have at most 4 dimensions");
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < shape.size(); ++d) rows *= shape[d];
  const int64_t cols = shape.empty() ? 1 : shape.back();
  KEEL_CHECK(data.size() == dtype_row_bytes(dtype, cols) * static_cast<size_t>(rows),
             "tensor " + name + ": data size does not match its shape and dtype");
  tensors_.push_back(Tensor{name, dtype, std::move(shape), std::vector<std::byte>(data.begin(), data.end())});
}

std::vector<std::byte> GgufWriter::to_bytes() const {
  std::vector<std::byte> out;
  append(&out, kMagic);
  append(&out, kVersion);
  append<int64_t>(&out, static_cast<int64_t>(tensors_.size()));
  append<int64_t>(&out, static_cast<int64_t>(metadata_count_));
  out.insert(out.end(), metadata_.begin(), metadata_.end());

  uint64_t offset = 0;
  for (const Tensor& tensor : tensors_) {
    append_string(&out, tensor.name);
    append<uint32_t>(&out, static_cast<uint32_t>(tensor.shape.size()));
    for (auto dim = tensor.shape.rbegin(); dim != tensor.shape.rend(); ++dim) append<int64_t>(&out, *dim);  // ne[0] innermost
    append<uint32_t>(&out, dtype_info(tensor.dtype).ggml_type);
    append<uint64_t>(&out, offset);
    offset += (tensor.data.size() + alignment_ - 1) / alignment_ * alignment_;
  }
  if (!tensors_.empty()) append_padding(&out, alignment_);
  for (const Tensor& tensor : tensors_) {
    out.insert(out.end(), tensor.data.begin(), tensor.data.end());
    append_padding(&out, alignment_);
  }
  return out;
}

Status GgufWriter::write(const std::filesystem::path& path) const {
  const std::vector<std::byte> bytes = to_bytes();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Error{"cannot create " + path.string()};
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Error{"cannot write " + path.string()};
  return ok_status();
}

}  // namespace keel
