// ModelConfig from GGUF metadata (`{arch}.*` keys, tokenizer ids) and the
// presence of optional tensors (biases, output.weight, fused ffn_up).
#pragma once

#include "core/result.h"
#include "format/gguf.h"
#include "model/config.h"

namespace keel {

Result<ModelConfig> config_from_gguf(const GgufFile& file);

}  // namespace keel
