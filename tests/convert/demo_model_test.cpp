// The shipped demo model (models/keel-demo-glm4-q8_0.gguf, trained by
// tools/demo_model): what keel's converter wrote into it, and that keel's
// Jinja engine renders its GLM-4 style chat template exactly as Python's
// jinja2 does (the expected text below is jinja2's, configured as
// transformers configures it). Its answers are checked by the CTest
// demo_model_accuracy (tools/demo_model/evaluate.py).
#include <gtest/gtest.h>

#include <string>

#include "chat_template/chat_template.h"
#include "format/gguf.h"

namespace keel {
namespace {

const std::filesystem::path kModel = std::filesystem::path(KEEL_SOURCE_DIR) / "models" / "keel-demo-glm4-q8_0.gguf";

TEST(DemoModel, ShippedFileDescribesItself) {
  if (!std::filesystem::exists(kModel)) GTEST_SKIP() << kModel << " not present";
  auto file = GgufFile::open(kModel);
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(*file->get_string("general.architecture"), "glm4");
  EXPECT_EQ(*file->get_uint("general.file_type"), 7u);  // Q8_0
  EXPECT_EQ(*file->get_uint("glm4.block_count"), 6u);
  EXPECT_EQ(*file->get_uint("glm4.rope.dimension_count"), 32u);
  EXPECT_EQ(*file->get_string("tokenizer.ggml.pre"), "glm4");
  EXPECT_EQ(file->get_string_array("tokenizer.ggml.tokens")->size(), 1024u);
  EXPECT_EQ(*file->get_uint("tokenizer.ggml.eos_token_id"), 1014u);  // <|endoftext|>: the model ends answers with it
  EXPECT_LE(std::filesystem::file_size(kModel), 15u * 1000 * 1000);
}

TEST(DemoModel, ChatTemplateRendersLikeJinja2) {
  if (!std::filesystem::exists(kModel)) GTEST_SKIP() << kModel << " not present";
  auto file = GgufFile::open(kModel);
  ASSERT_TRUE(file.ok()) << file.error().message;
  auto tmpl = ChatTemplate::parse(std::string(*file->get_string("tokenizer.chat_template")));
  ASSERT_TRUE(tmpl.ok()) << tmpl.error().message;
  const auto messages = nlohmann::ordered_json::parse(R"([
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is 2 + 3?"},
    {"role": "assistant", "content": "5"},
    {"role": "user", "content": "What day comes after Monday?"}])");
  auto text = render_chat(*tmpl, messages, {});
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text,
            "[gMASK]<sop><|system|>\nYou are a helpful assistant.<|user|>\nWhat is 2 + 3?<|assistant|>\n5"
            "<|user|>\nWhat day comes after Monday?<|assistant|>\n");
}

}  // namespace
}  // namespace keel
