// The tokenizer.ggml.* keys of a GGUF file, from a Hugging Face directory's
// tokenizer.json and tokenizer_config.json.
//
// Byte-level BPE tokenizers only (the `gpt2` model in llama.cpp's terms),
// which is what GLM-4 and Qwen use. The values follow llama.cpp's converter:
// tokens in id order (ids the tokenizer lacks become "[PAD<id>]", unused),
// token types (normal 1, control 3 for special added tokens, user-defined 4
// for other added tokens, unused 5), merges as "left right" strings, the
// special ids, add_bos/add_eos and the chat template.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/result.h"
#include "format/gguf_writer.h"
#include "model/config.h"

namespace keel {

// Writes the tokenizer keys for a model of `family` with `vocab_size`
// embedding rows.
Status add_tokenizer_metadata(const std::filesystem::path& hf_dir, Family family, int64_t vocab_size,
                              GgufWriter& writer);

}  // namespace keel
