// Malformed tokenizer files and ids give Errors that name the problem,
// never a crash.
#include <gtest/gtest.h>

#include "format/gguf.h"
#include "format/gguf_writer.h"
#include "tokenizer/tokenizer.h"

namespace keel {
namespace {

void expect_error(const Result<Tokenizer>& result, std::string_view fragment) {
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find(fragment), std::string::npos) << result.error().message;
}

TEST(BadTokenizerJson, NotJson) { expect_error(Tokenizer::from_hf_json("{", ""), "not valid JSON"); }

TEST(BadTokenizerJson, MissingModel) { expect_error(Tokenizer::from_hf_json(R"({"added_tokens":[]})", ""), "model"); }

TEST(BadTokenizerJson, WrongTypes) {
  expect_error(Tokenizer::from_hf_json(R"({"model":{"type":"BPE","vocab":[1,2]}})", ""), "vocab");
  expect_error(Tokenizer::from_hf_json(R"({"model":{"type":"BPE","vocab":{"a":"x"}}})", ""), "vocab");
  expect_error(Tokenizer::from_hf_json(R"({"model":{"type":"BPE","vocab":{"a":0},"merges":{}}})", ""), "merges");
  expect_error(Tokenizer::from_hf_json(R"({"model":{"type":"BPE","vocab":{"a":0},"merges":[7]}})", ""), "merges");
  expect_error(Tokenizer::from_hf_json(R"({"model":{"type":"Unigram","vocab":[]}})", ""), "Unigram");
  expect_error(Tokenizer::from_hf_json(R"({"model":{"type":"BPE","vocab":{"a":0}},"added_tokens":[{"id":"x"}]})", ""),
               "added_tokens");
}

TEST(BadTokenizerJson, MergeNamesUnknownToken) {
  expect_error(Tokenizer::from_hf_json(R"({"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a c"]}})", ""),
               "\"c\" is not in the vocabulary");
  expect_error(Tokenizer::from_hf_json(R"({"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":[["a","b"]]}})", ""),
               "\"ab\" is not in the vocabulary");
}

TEST(BadTokenizerJson, UnsupportedPieces) {
  expect_error(Tokenizer::from_hf_json(
                   R"({"model":{"type":"BPE","vocab":{"a":0}},"pre_tokenizer":{"type":"Whitespace"}})", ""),
               "Whitespace");
  expect_error(Tokenizer::from_hf_json(
                   R"({"model":{"type":"BPE","vocab":{"a":0}},"pre_tokenizer":{"type":"Split","pattern":{"Regex":"("}}})",
                   ""),
               "regex");
  expect_error(Tokenizer::from_hf_json(R"({"model":{"type":"BPE","vocab":{"a":0}},"normalizer":{"type":"NFKD"}})", ""),
               "NFKD");
}

Result<Tokenizer> from_writer(const GgufWriter& writer, std::vector<std::byte>& storage) {
  storage = writer.to_bytes();
  auto file = GgufFile::parse(storage.data(), storage.size(), "test.gguf");
  if (!file.ok()) return file.error();
  return Tokenizer::from_gguf(*file);
}

TEST(BadGguf, MissingTokens) {
  GgufWriter writer;
  writer.add_string("tokenizer.ggml.model", "gpt2");
  std::vector<std::byte> storage;
  expect_error(from_writer(writer, storage), "tokenizer.ggml.tokens");
}

TEST(BadGguf, TokenTypeLengthMismatch) {
  GgufWriter writer;
  writer.add_string("tokenizer.ggml.model", "llama");
  writer.add_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"});
  writer.add_int32_array("tokenizer.ggml.token_type", {2, 3});
  writer.add_float32_array("tokenizer.ggml.scores", {0, 0, 0});
  std::vector<std::byte> storage;
  expect_error(from_writer(writer, storage), "token_type has 2 entries");
}

TEST(BadGguf, UnknownPreTokenizerListsSupported) {
  GgufWriter writer;
  writer.add_string("tokenizer.ggml.model", "gpt2");
  writer.add_string("tokenizer.ggml.pre", "martian");
  writer.add_string_array("tokenizer.ggml.tokens", {"a", "b"});
  writer.add_string_array("tokenizer.ggml.merges", {});
  std::vector<std::byte> storage;
  expect_error(from_writer(writer, storage), "supported: gpt-2");
}

TEST(BadGguf, UnknownModel) {
  GgufWriter writer;
  writer.add_string("tokenizer.ggml.model", "t5");
  std::vector<std::byte> storage;
  expect_error(from_writer(writer, storage), "unsupported tokenizer.ggml.model");
}

TEST(BadIds, DecodeOutOfRange) {
  const auto tokenizer =
      Tokenizer::from_hf_json(R"({"model":{"type":"BPE","vocab":{"a":0,"b":1}},"pre_tokenizer":{"type":"ByteLevel"}})",
                              "");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  const std::vector<int32_t> ids = {0, 7, -1, 1};
  const auto checked = tokenizer->decode_checked(ids);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("token id 7"), std::string::npos);
  EXPECT_EQ(tokenizer->decode(ids), "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
  EXPECT_EQ(tokenizer->token_bytes(99), "");
  EXPECT_EQ(tokenizer->token_text(-5), "");
  IncrementalDetokenizer stream(*tokenizer);
  EXPECT_EQ(stream.push(12345), "");
}

}  // namespace
}  // namespace keel
