// The decoder layer of each family (defined in arch/<family>.cpp) and
// referenced by the registry table.
#pragma once

namespace keel {

struct LayerContext;

void llama_decoder_layer(const LayerContext& context);
void qwen2_decoder_layer(const LayerContext& context);
void qwen3_decoder_layer(const LayerContext& context);
void glm_decoder_layer(const LayerContext& context);
void glm4_decoder_layer(const LayerContext& context);

}  // namespace keel
