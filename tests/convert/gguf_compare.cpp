#include "gguf_compare.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <sstream>

#include "core/dequantize.h"

namespace keel::testing {
namespace {

std::string describe(const GgufValue& value) {
  std::ostringstream text;
  text << gguf_type_name(value.type) << " ";
  switch (value.type) {
    case GgufType::STRING: text << '"' << value.str.substr(0, 60) << '"'; break;
    case GgufType::F32:
    case GgufType::F64: text << value.f; break;
    case GgufType::ARRAY: text << "array of " << value.count << " " << gguf_type_name(value.elem_type); break;
    case GgufType::I8:
    case GgufType::I16:
    case GgufType::I32:
    case GgufType::I64: text << value.i; break;
    default: text << value.u; break;
  }
  return text.str();
}

size_t element_bytes(GgufType type) {
  switch (type) {
    case GgufType::U8:
    case GgufType::I8:
    case GgufType::BOOL: return 1;
    case GgufType::U16:
    case GgufType::I16: return 2;
    case GgufType::U64:
    case GgufType::I64:
    case GgufType::F64: return 8;
    default: return 4;
  }
}

bool same_value(const GgufValue& a, const GgufValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case GgufType::STRING: return a.str == b.str;
    case GgufType::F32:
    case GgufType::F64: return a.f == b.f;
    case GgufType::ARRAY:
      if (a.elem_type != b.elem_type || a.count != b.count) return false;
      if (a.elem_type == GgufType::STRING) return a.strings == b.strings;
      return a.count == 0 || std::memcmp(a.elems, b.elems, a.count * element_bytes(a.elem_type)) == 0;
    default: return a.u == b.u && a.i == b.i;
  }
}

std::vector<float> decode(const TensorView& view) {
  std::vector<float> values(static_cast<size_t>(view.numel()));
  for (int64_t r = 0; r < view.rows(); ++r)
    dequantize_row(view.dtype, view.row(r), values.data() + r * view.cols(), view.cols());
  return values;
}

}  // namespace

std::vector<std::string> metadata_differences(const GgufFile& actual, const GgufFile& expected) {
  std::vector<std::string> out;
  std::map<std::string_view, const GgufValue*> mine;
  for (const auto& [key, value] : actual.metadata()) mine[key] = &value;
  for (const auto& [key, value] : expected.metadata()) {
    const auto it = mine.find(key);
    if (it == mine.end()) {
      out.push_back(std::string(key) + ": missing (expected " + describe(value) + ")");
      continue;
    }
    if (!same_value(*it->second, value))
      out.push_back(std::string(key) + ": " + describe(*it->second) + ", expected " + describe(value));
    mine.erase(it);
  }
  for (const auto& [key, value] : mine) out.push_back(std::string(key) + ": extra (" + describe(*value) + ")");
  return out;
}

std::vector<std::string> tensor_list_differences(const GgufFile& actual, const GgufFile& expected) {
  std::vector<std::string> out;
  const auto& a = actual.tensors();
  const auto& b = expected.tensors();
  if (a.size() != b.size())
    out.push_back("count: " + std::to_string(a.size()) + ", expected " + std::to_string(b.size()));
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i].name != b[i].name) out.push_back("#" + std::to_string(i) + ": " + a[i].name + ", expected " + b[i].name);
    if (a[i].ggml_type != b[i].ggml_type) out.push_back(a[i].name + ": type differs");
    const auto& shape_a = a[i].view.shape;
    const bool same_shape = a[i].view.rank == b[i].view.rank &&
                            std::equal(shape_a.begin(), shape_a.begin() + a[i].view.rank, b[i].view.shape.begin());
    if (!same_shape)
      out.push_back(a[i].name + ": shape " + a[i].view.describe() + ", expected " + b[i].view.describe());
  }
  return out;
}

double max_tensor_difference(const GgufFile& actual, const GgufFile& expected) {
  double worst = 0;
  for (const auto& tensor : expected.tensors()) {
    const GgufTensorInfo* mine = actual.find_tensor(tensor.name);
    if (mine == nullptr || mine->view.numel() != tensor.view.numel()) return INFINITY;
    const std::vector<float> a = decode(mine->view), b = decode(tensor.view);
    for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
  }
  return worst;
}

int count_tensors_with_different_bytes(const GgufFile& actual, const GgufFile& expected) {
  int different = 0;
  for (const auto& tensor : expected.tensors()) {
    const GgufTensorInfo* mine = actual.find_tensor(tensor.name);
    different += mine == nullptr || mine->view.nbytes != tensor.view.nbytes ||
                 std::memcmp(mine->view.data, tensor.view.data, tensor.view.nbytes) != 0;
  }
  return different;
}

}  // namespace keel::testing
