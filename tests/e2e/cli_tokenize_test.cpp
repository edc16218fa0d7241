// keel tokenize / detokenize / chat-template against references that keel
// did not produce: the ids in ../shared/testdata/vocab/*.out (made by the
// models' own tokenizers) and a template rendered by jinja2.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "run_keel.h"

namespace keel::test {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The i-th case of a vocab test pair: (input text, expected ids line).
std::pair<std::string, std::string> vocab_case(const std::string& vocab, size_t index) {
  const std::string inp = slurp(shared_testdata("vocab/" + vocab + ".inp"));
  const std::string out = slurp(shared_testdata("vocab/" + vocab + ".out"));
  const std::string separator = "\n__ggml_vocab_test__\n";
  size_t start = 0;
  for (size_t i = 0; i < index; ++i) start = inp.find(separator, start) + separator.size();
  const std::string text = inp.substr(start, inp.find(separator, start) - start);
  std::istringstream lines(out);
  std::string line;
  for (size_t i = 0; i <= index; ++i) std::getline(lines, line);
  while (!line.empty() && line.front() == ' ') line.erase(0, 1);
  return {text, line};
}

TEST(CliTokenize, MatchesTheModelsOwnTokenizerOnRealVocabularies) {
  for (const std::string vocab : {"ggml-vocab-gpt-2.gguf", "ggml-vocab-qwen2.gguf", "ggml-vocab-llama-spm.gguf"}) {
    for (size_t index : {11u, 13u, 20u}) {
      const auto [text, expected] = vocab_case(vocab, index);
      const auto outcome =
          run_keel({"tokenize", "--model", shared_testdata("vocab/" + vocab), "--text", text, "--no-bos"});
      ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
      EXPECT_EQ(outcome.out, expected + "\n") << vocab << " case " << index << ": '" << text << "'";
    }
  }
}

TEST(CliTokenize, DetokenizeInvertsTokenize) {
  const auto [text, ids] = vocab_case("ggml-vocab-gpt-2.gguf", 13);
  const auto outcome = run_keel({"detokenize", "--model", shared_testdata("vocab/ggml-vocab-gpt-2.gguf"), "--ids", ids});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out, text + "\n");
}

TEST(CliTokenize, SpecialFlagControlsSpecialTokenParsing) {
  // <|im_start|> is id 151644 in the Qwen2 vocabulary.
  const auto model = shared_testdata("vocab/ggml-vocab-qwen2.gguf");
  const auto parsed = run_keel({"tokenize", "--model", model, "--text", "<|im_start|>", "--special"});
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err;
  EXPECT_EQ(parsed.out, "151644\n");
  const auto plain = run_keel({"tokenize", "--model", model, "--text", "<|im_start|>"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.out, "151644\n");
}

}  // namespace
}  // namespace keel::test
