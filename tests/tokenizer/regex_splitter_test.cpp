// Pre-tokenizer splits for a few inputs whose expected pieces follow from
// the documented regex semantics (leftmost-first alternation; `\s+(?!\S)`
// gives the last space back to the following word).
#include <gtest/gtest.h>

#include "tokenizer/pretokenizer_presets.h"
#include "tokenizer/regex_splitter.h"

namespace keel {
namespace {

std::vector<std::string> split(std::string_view pattern, std::string_view text) {
  auto splitter = RegexSplitter::compile(pattern);
  EXPECT_TRUE(splitter.ok());
  std::vector<std::string_view> views;
  splitter->split(text, views);
  return {views.begin(), views.end()};
}

TEST(RegexSplitter, Gpt2PatternKeepsSpaceWithNextWord) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split(gpt2_pretokenizer_pattern(), "Hello   world's"), (V{"Hello", "  ", " world", "'s"}));
  EXPECT_EQ(split(gpt2_pretokenizer_pattern(), "a  "), (V{"a", "  "}));
}

TEST(RegexSplitter, WhiteSpaceIncludesNextLine) {
  // U+0085 is White_Space (Oniguruma, Python) although PCRE2's \s omits it.
  using V = std::vector<std::string>;
  EXPECT_EQ(split(R"(\s+)", "a\xC2\x85" "b"), (V{"a", "\xC2\x85", "b"}));
}

TEST(RegexSplitter, RewritesWhitespaceInsideAndOutsideClasses) {
  EXPECT_EQ(spell_out_whitespace_classes(R"([^\s\p{L}]\S)"),
            R"([^\t-\r \x{85}\p{Z}\p{L}][^\t-\r \x{85}\p{Z}])");
}

TEST(PreTokenizerPresets, UnknownNameListsSupportedOnes) {
  const auto preset = pretokenizer_preset("no-such-pre");
  ASSERT_FALSE(preset.ok());
  EXPECT_NE(preset.error().message.find("qwen2"), std::string::npos);
  EXPECT_NE(preset.error().message.find("llama-bpe"), std::string::npos);
}

TEST(PreTokenizerPresets, EveryPresetCompiles) {
  for (const char* name : {"gpt-2", "llama-bpe", "qwen2", "chatglm-bpe", "glm4", "qwen35", "tekken", "starcoder",
                           "deepseek-v3", "deepseek-coder", "default"}) {
    const auto preset = pretokenizer_preset(name);
    ASSERT_TRUE(preset.ok()) << name;
    for (const auto& regex : preset->regexes) {
      EXPECT_TRUE(RegexSplitter::compile(regex).ok()) << name << ": " << regex;
    }
  }
}

}  // namespace
}  // namespace keel
