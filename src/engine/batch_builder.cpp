#include "engine/batch_builder.h"

namespace keel {

BatchBuilder::BatchBuilder(int32_t max_batch_tokens)
    : tokens_(static_cast<size_t>(max_batch_tokens)),
      positions_(tokens_.size()),
      slots_(tokens_.size()),
      wants_logits_(tokens_.size()) {}

}  // namespace keel
