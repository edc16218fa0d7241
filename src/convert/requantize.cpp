#include "convert/requantize.h"

#include <cstring>
#include <string>
#include <vector>

#include "convert/architecture_metadata.h"
#include "convert/tensor_encoder.h"
#include "format/gguf.h"
#include "format/gguf_writer.h"

namespace keel {
namespace {

template <class T>
std::vector<T> packed_elements(const GgufValue& value) {
  std::vector<T> out(value.count);
  if (value.count != 0) std::memcpy(out.data(), value.elems, value.count * sizeof(T));
  return out;
}

// Re-adds one metadata entry. The GGUF writer knows the value types that
// llama.cpp's converters write; anything else is refused rather than changed.
Status copy_metadata(const std::string& key, const GgufValue& value, GgufWriter& writer) {
  switch (value.type) {
    case GgufType::STRING: writer.add_string(key, std::string(value.str)); return ok_status();
    case GgufType::U32: writer.add_uint32(key, static_cast<uint32_t>(value.u)); return ok_status();
    case GgufType::I32: writer.add_int32(key, static_cast<int32_t>(value.i)); return ok_status();
    case GgufType::U64: writer.add_uint64(key, value.u); return ok_status();
    case GgufType::F32: writer.add_float32(key, static_cast<float>(value.f)); return ok_status();
    case GgufType::BOOL: writer.add_bool(key, value.u != 0); return ok_status();
    case GgufType::ARRAY:
      if (value.elem_type == GgufType::STRING) {
        writer.add_string_array(key, std::vector<std::string>(value.strings.begin(), value.strings.end()));
        return ok_status();
      }
      if (value.elem_type == GgufType::I32) {
        writer.add_int32_array(key, packed_elements<int32_t>(value));
        return ok_status();
      }
      if (value.elem_type == GgufType::F32) {
        writer.add_float32_array(key, packed_elements<float>(value));
        return ok_status();
      }
      break;
    default: break;
  }
  return Error{"keel quantize cannot copy metadata " + key + " of type " + std::string(gguf_type_name(value.type))};
}

}  // namespace

Result<uintmax_t> requantize_gguf(const std::filesystem::path& in, const std::filesystem::path& out, DType type) {
  if (type != DType::F32 && type != DType::F16 && type != DType::BF16 && type != DType::Q8_0 &&
      type != DType::Q4_0 && type != DType::Q4_1 && type != DType::Q5_0)
    return Error{"keel quantize cannot write " + std::string(dtype_info(type).name)};
  KEEL_ASSIGN_OR_RETURN(const GgufFile source, GgufFile::open(in));
  GgufWriter writer;
  for (const auto& [key, value] : source.metadata()) {
    if (key == "general.file_type") {
      writer.add_uint32("general.file_type", gguf_file_type(type));
      continue;
    }
    KEEL_TRY(copy_metadata(std::string(key), value, writer));
  }
  for (const auto& tensor : source.tensors()) {
    const DType target = storage_type_for(tensor.view, type);
    const std::vector<std::byte> data = encode_tensor(tensor.view, target);
    writer.add_tensor(tensor.name, target,
                      std::vector<int64_t>(tensor.view.shape.begin(), tensor.view.shape.begin() + tensor.view.rank),
                      data);
  }
  KEEL_TRY(writer.write(out));
  std::error_code error;
  return std::filesystem::file_size(out, error);
}

}  // namespace keel
