// GgufFile on the real vocabulary-only GGUFs in ../shared/testdata/vocab.
// The expected facts were read once with an independent struct-based Python
// reader; the loops check internal consistency of whatever the files hold.
#include <gtest/gtest.h>

#include <filesystem>

#include "format/gguf.h"

namespace keel {
namespace {

std::filesystem::path vocab_path(const char* name) {
  return std::filesystem::path(KEEL_SOURCE_DIR) / ".." / "shared" / "testdata" / "vocab" / name;
}

GgufFile open_vocab(const char* name) {
  auto file = GgufFile::open(vocab_path(name));
  EXPECT_TRUE(file.ok()) << file.error().message;
  return std::move(file).value();
}

// Every vocabulary: one token type per token, special ids inside the vocabulary.
void expect_consistent_vocab(const GgufFile& file) {
  EXPECT_TRUE(file.tensors().empty());
  auto tokens = file.get_string_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok()) << tokens.error().message;
  auto types = file.get_int_array("tokenizer.ggml.token_type");
  ASSERT_TRUE(types.ok()) << types.error().message;
  EXPECT_EQ(types->size(), tokens->size());
  for (int64_t type : *types) EXPECT_TRUE(type >= 1 && type <= 6) << type;
  for (const char* key : {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"}) {
    auto id = file.get_uint(key);
    ASSERT_TRUE(id.ok()) << id.error().message;
    EXPECT_LT(*id, tokens->size()) << key;
  }
}

TEST(GgufVocab, Gpt2) {
  GgufFile file = open_vocab("ggml-vocab-gpt-2.gguf");
  EXPECT_EQ(file.version(), 3u);
  EXPECT_EQ(file.alignment(), 32u);
  EXPECT_EQ(file.metadata().size(), 16u);
  EXPECT_EQ(*file.get_string("general.architecture"), "gpt2");
  EXPECT_EQ(*file.get_string("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ(*file.get_uint("gpt2.context_length"), 1024u);
  EXPECT_NEAR(*file.get_float("gpt2.attention.layer_norm_epsilon"), 1e-5, 1e-10);
  auto tokens = file.get_string_array("tokenizer.ggml.tokens");
  EXPECT_EQ(tokens->size(), 50257u);
  EXPECT_EQ((*tokens)[0], "!");
  EXPECT_EQ(file.get_string_array("tokenizer.ggml.merges")->size(), 50000u);
  EXPECT_EQ(*file.get_uint("tokenizer.ggml.eos_token_id"), 50256u);
  expect_consistent_vocab(file);
}

TEST(GgufVocab, LlamaSpm) {
  GgufFile file = open_vocab("ggml-vocab-llama-spm.gguf");
  EXPECT_EQ(*file.get_string("tokenizer.ggml.model"), "llama");
  auto tokens = file.get_string_array("tokenizer.ggml.tokens");
  EXPECT_EQ(tokens->size(), 32000u);
  EXPECT_EQ((*tokens)[1], "<s>");
  EXPECT_EQ(file.get_float_array("tokenizer.ggml.scores")->size(), 32000u);
  EXPECT_EQ(*file.get_bool("tokenizer.ggml.add_bos_token"), true);
  EXPECT_EQ(*file.get_bool("tokenizer.ggml.add_eos_token"), false);
  EXPECT_EQ(*file.get_uint("llama.vocab_size"), 32000u);
  expect_consistent_vocab(file);
}

TEST(GgufVocab, Qwen2) {
  GgufFile file = open_vocab("ggml-vocab-qwen2.gguf");
  EXPECT_EQ(*file.get_string("tokenizer.ggml.pre"), "qwen2");
  EXPECT_EQ(file.get_string_array("tokenizer.ggml.tokens")->size(), 151936u);
  EXPECT_EQ(file.get_string_array("tokenizer.ggml.merges")->size(), 151387u);
  EXPECT_DOUBLE_EQ(*file.get_float("qwen2.rope.freq_base"), 1000000.0);
  EXPECT_TRUE(file.get_string("tokenizer.chat_template")->starts_with("{% for message in messages %}"));
  expect_consistent_vocab(file);
}

TEST(GgufVocab, GettersNameKeyAndType) {
  GgufFile file = open_vocab("ggml-vocab-gpt-2.gguf");
  auto missing = file.get_uint("no.such.key");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("'no.such.key' is missing"), std::string::npos) << missing.error().message;
  auto wrong = file.get_uint("general.name");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("is string"), std::string::npos) << wrong.error().message;
  EXPECT_FALSE(file.get_string_array("tokenizer.ggml.token_type").ok());
}

}  // namespace
}  // namespace keel
