#include "tokenizer/pretokenizer_presets.h"

#include <array>

namespace keel {
namespace {

constexpr std::string_view kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Llama-3 and GLM-4 (tiktoken cl100k-style, digits in groups of up to three).
constexpr std::string_view kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Qwen2 / 2.5 / 3: as Llama-3 but one digit per piece.
constexpr std::string_view kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

constexpr std::string_view kQwen35 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

constexpr std::string_view kTekken =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

constexpr std::string_view kDeepSeekV3Cjk = "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+";
constexpr std::string_view kDeepSeekV3Words =
    R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

constexpr std::string_view kDeepSeekCoderCjk = "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+";

// llama.cpp's fallback when a file names no pre-tokenizer.
constexpr std::string_view kDefaultPunctuation = R"([\p{P}\$\+<=>\^~\|]+)";

struct NamedPreset {
  std::string_view gguf_name;
  std::string_view family;
  std::vector<std::string_view> regexes;
  bool ignore_merges;
  bool add_bos;
  bool forbid_bos;
};

const std::vector<NamedPreset>& presets() {
  static const std::vector<NamedPreset> table = {
      {"gpt-2", "gpt-2", {kGpt2}, false, false, false},
      {"phi-2", "gpt-2", {kGpt2}, false, false, false},
      {"roberta-bpe", "gpt-2", {kGpt2}, false, false, false},
      {"mpt", "gpt-2", {kGpt2}, false, false, false},
      {"olmo", "gpt-2", {kGpt2}, false, false, false},
      {"jais", "gpt-2", {kGpt2}, false, false, false},
      {"llama3", "llama3", {kLlama3}, true, true, false},
      {"llama-v3", "llama3", {kLlama3}, true, true, false},
      {"llama-bpe", "llama3", {kLlama3}, true, true, false},
      {"falcon3", "llama3", {kLlama3}, true, true, false},
      {"dbrx", "llama3", {kLlama3}, false, false, false},
      {"smaug-bpe", "llama3", {kLlama3}, false, false, false},
      {"qwen2", "qwen2", {kQwen2}, false, false, false},
      {"deepseek-r1-qwen", "qwen2", {kQwen2}, false, false, false},
      {"megrez", "qwen2", {kQwen2}, false, false, false},
      {"stablelm2", "qwen2", {kQwen2}, false, false, false},
      {"qwen35", "qwen35", {kQwen35}, false, false, false},
      {"chatglm-bpe", "glm4", {kLlama3}, false, false, true},
      {"glm4", "glm4", {kLlama3}, false, false, true},
      {"tekken", "tekken", {kTekken}, true, true, false},
      {"starcoder", "starcoder", {R"(\p{N})", kGpt2}, false, false, false},
      {"refact", "starcoder", {R"(\p{N})", kGpt2}, false, false, false},
      {"command-r", "starcoder", {R"(\p{N})", kGpt2}, false, false, false},
      {"smollm", "starcoder", {R"(\p{N})", kGpt2}, false, false, false},
      {"deepseek-v3", "deepseek-v3", {R"(\p{N}{1,3})", kDeepSeekV3Cjk, kDeepSeekV3Words}, false, true, false},
      {"deepseek-coder",
       "deepseek-coder",
       {R"([\r\n])", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kDeepSeekCoderCjk, R"(\p{N})"},
       false,
       true,
       false},
      {"default", "default", {kDefaultPunctuation, kGpt2, R"(\p{N}+)", "[0-9][0-9][0-9]"}, false, false, false},
  };
  return table;
}

}  // namespace

std::string_view gpt2_pretokenizer_pattern() { return kGpt2; }

Result<PreTokenizerPreset> pretokenizer_preset(std::string_view gguf_pre_name) {
  for (const NamedPreset& entry : presets()) {
    if (entry.gguf_name != gguf_pre_name) continue;
    PreTokenizerPreset preset;
    preset.name = std::string(entry.family);
    for (std::string_view regex : entry.regexes) preset.regexes.emplace_back(regex);
    preset.ignore_merges = entry.ignore_merges;
    preset.add_bos = entry.add_bos;
    preset.forbid_bos = entry.forbid_bos;
    return preset;
  }
  std::string supported;
  for (const NamedPreset& entry : presets()) {
    if (!supported.empty()) supported += ", ";
    supported += entry.gguf_name;
  }
  return Error{"unsupported pre-tokenizer tokenizer.ggml.pre = \"" + std::string(gguf_pre_name) +
               "\" (supported: " + supported + ")"};
}

}  // namespace keel
