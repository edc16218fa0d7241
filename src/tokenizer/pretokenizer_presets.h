// The pre-tokenizer regexes that GGUF files name by `tokenizer.ggml.pre`,
// with the loading flags llama.cpp ties to each name. The patterns are the
// exact strings of the models' own tokenizer.json / tiktoken files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace keel {

struct PreTokenizerPreset {
  std::string name;                  // canonical family name, for describe()
  std::vector<std::string> regexes;  // applied in sequence, each re-splitting every piece
  bool ignore_merges = false;        // a pre-token that is a whole vocab entry is emitted as is
  bool add_bos = false;              // default for add_bos when the file does not say
  bool forbid_bos = false;           // the family has no BOS (GLM-4: the template writes [gMASK]<sop>)
};

// The GPT-2 pattern, also used by a ByteLevel pre-tokenizer with use_regex.
std::string_view gpt2_pretokenizer_pattern();

// Looks up a `tokenizer.ggml.pre` value; an Error lists the supported names.
Result<PreTokenizerPreset> pretokenizer_preset(std::string_view gguf_pre_name);

}  // namespace keel
