// Exact token ids for llama.cpp's tokenizer test vectors (produced by the
// models' own Hugging Face tokenizers), loaded from the vocab-only GGUFs in
// ../shared/testdata/vocab. Also checks that streaming detokenization of
// every case concatenates to decode().
#include <gtest/gtest.h>

#include <chrono>

#include "format/gguf.h"
#include "test_paths.h"
#include "tokenizer/tokenizer.h"
#include "core/utf8.h"

namespace keel {
namespace {

class VocabTest : public testing::TestWithParam<const char*> {
 protected:
  std::filesystem::path gguf_path() const { return test::shared_vocab_dir() / GetParam(); }

  Tokenizer load() const {
    auto file = GgufFile::open(gguf_path());
    EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().message);
    auto tokenizer = Tokenizer::from_gguf(*file);
    EXPECT_TRUE(tokenizer.ok()) << (tokenizer.ok() ? "" : tokenizer.error().message);
    return std::move(tokenizer).value();
  }
};

std::string show(const std::vector<int32_t>& ids) {
  std::string out;
  for (int32_t id : ids) out += " " + std::to_string(id);
  return out;
}

TEST_P(VocabTest, EncodesEveryReferenceCaseExactly) {
  if (!std::filesystem::exists(gguf_path())) GTEST_SKIP() << "missing " << gguf_path();
  const auto cases = test::read_vocab_cases(gguf_path());
  ASSERT_FALSE(cases.empty());
  const Tokenizer tokenizer = load();

  size_t passed = 0;
  for (const auto& vocab_case : cases) {
    const auto ids = tokenizer.encode(vocab_case.text, /*add_bos=*/false, /*parse_special=*/false);
    if (ids == vocab_case.ids) {
      ++passed;
    } else {
      ADD_FAILURE() << "text \"" << vocab_case.text << "\"\n  expected" << show(vocab_case.ids) << "\n  got     "
                    << show(ids);
    }
  }
  std::printf("[ agreement ] %s: %zu / %zu cases\n", GetParam(), passed, cases.size());
  EXPECT_EQ(passed, cases.size());
}

TEST_P(VocabTest, DecodeRestoresTheText) {
  if (!std::filesystem::exists(gguf_path())) GTEST_SKIP() << "missing " << gguf_path();
  const Tokenizer tokenizer = load();
  for (const auto& vocab_case : test::read_vocab_cases(gguf_path())) {
    // The reference ids decode back to the input (all inputs are valid UTF-8
    // and round-trip in these tokenizers; SentencePiece strips the dummy
    // prefix it added).
    EXPECT_EQ(tokenizer.decode(vocab_case.ids), vocab_case.text);
  }
}

TEST_P(VocabTest, StreamingDeltasConcatenateToDecode) {
  if (!std::filesystem::exists(gguf_path())) GTEST_SKIP() << "missing " << gguf_path();
  const Tokenizer tokenizer = load();
  for (const auto& vocab_case : test::read_vocab_cases(gguf_path())) {
    IncrementalDetokenizer stream(tokenizer);
    std::string streamed;
    for (int32_t id : vocab_case.ids) {
      const std::string delta = stream.push(id);
      EXPECT_TRUE(utf8::is_valid(delta)) << "invalid UTF-8 delta in \"" << vocab_case.text << "\"";
      streamed += delta;
    }
    streamed += stream.flush();
    // Streaming keeps the first token's space (it follows a prompt);
    // decode() of a whole text drops SentencePiece's dummy-prefix space.
    const std::string expected = tokenizer.decode(vocab_case.ids);
    if (tokenizer.describe().starts_with("SentencePiece") && streamed.starts_with(' ')) streamed.erase(0, 1);
    EXPECT_EQ(streamed, expected) << "case \"" << vocab_case.text << "\"";
  }
}

TEST_P(VocabTest, LongTextTokenizesQuickly) {
  if (!std::filesystem::exists(gguf_path())) GTEST_SKIP() << "missing " << gguf_path();
  const Tokenizer tokenizer = load();
  std::string text;
  for (const auto& vocab_case : test::read_vocab_cases(gguf_path())) text += vocab_case.text + "\n";
  while (text.size() < 100 * 1024) text += text;
  const auto start = std::chrono::steady_clock::now();
  const auto ids = tokenizer.encode(text, false, false);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 1.0) << ids.size() << " tokens";
  EXPECT_EQ(tokenizer.decode(ids), text);
}

INSTANTIATE_TEST_SUITE_P(LlamaCppVocabs, VocabTest,
                         testing::Values("ggml-vocab-gpt-2.gguf", "ggml-vocab-qwen2.gguf",
                                         "ggml-vocab-llama-spm.gguf"),
                         [](const testing::TestParamInfo<const char*>& param_info) {
                           std::string name = param_info.param;
                           name = name.substr(11, name.size() - 11 - 5);  // strip "ggml-vocab-" and ".gguf"
                           for (char& c : name) c = (c == '-') ? '_' : c;
                           return name;
                         });

}  // namespace
}  // namespace keel
