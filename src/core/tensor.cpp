#include "core/tensor.h"

namespace keel {

std::string TensorView::describe() const {
  std::string out = "[";
  for (int i = 0; i < rank; ++i) {
    if (i) out += ", ";
    out += std::to_string(shape[i]);
  }
  out += "] ";
  out += dtype_info(dtype).name;
  return out;
}

}  // namespace keel
