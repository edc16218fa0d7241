// GgufWriter output read back by GgufFile: every value type the writer
// emits, several tensor dtypes, and the exact layout llama.cpp requires.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/dequantize.h"
#include "format/gguf.h"
#include "format/gguf_writer.h"

namespace keel {
namespace {

std::vector<std::byte> encode(DType type, const std::vector<float>& values) {
  std::vector<std::byte> out(dtype_row_bytes(type, static_cast<int64_t>(values.size())));
  EXPECT_TRUE(quantize_row(type, values.data(), out.data(), static_cast<int64_t>(values.size())));
  return out;
}

TEST(GgufWriter, MetadataRoundTrip) {
  GgufWriter writer;
  writer.add_string("general.architecture", "llama");
  writer.add_string("general.raw", std::string("\xff\x00z", 3));  // values keep raw bytes
  writer.add_uint32("llama.block_count", 7);
  writer.add_int32("test.negative", -5);
  writer.add_uint64("test.big", 1ull << 40);
  writer.add_float32("test.eps", 1e-5f);
  writer.add_bool("test.flag", true);
  writer.add_string_array("tokenizer.ggml.tokens", {"a", "", "b c"});
  writer.add_int32_array("tokenizer.ggml.token_type", {1, -2, 3});
  writer.add_float32_array("tokenizer.ggml.scores", {0.5f, -1.0f});
  const std::vector<std::byte> bytes = writer.to_bytes();
  auto file = GgufFile::parse(bytes.data(), bytes.size(), "memory");
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->version(), 3u);
  EXPECT_EQ(file->metadata().size(), 10u);
  EXPECT_EQ(file->metadata()[0].first, "general.architecture");  // file order kept
  EXPECT_EQ(*file->get_string("general.architecture"), "llama");
  EXPECT_EQ(*file->get_string("general.raw"), std::string_view("\xff\x00z", 3));
  EXPECT_EQ(*file->get_uint("llama.block_count"), 7u);
  EXPECT_EQ(file->find("test.negative")->i, -5);
  EXPECT_FALSE(file->get_uint("test.negative").ok());
  EXPECT_EQ(*file->get_uint("test.big"), 1ull << 40);
  EXPECT_FLOAT_EQ(static_cast<float>(*file->get_float("test.eps")), 1e-5f);
  EXPECT_TRUE(*file->get_bool("test.flag"));
  EXPECT_EQ(*file->get_string_array("tokenizer.ggml.tokens"), (std::vector<std::string_view>{"a", "", "b c"}));
  EXPECT_EQ(*file->get_int_array("tokenizer.ggml.token_type"), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(*file->get_float_array("tokenizer.ggml.scores"), (std::vector<float>{0.5f, -1.0f}));
  EXPECT_EQ(*file->get_float_array("tokenizer.ggml.token_type"), (std::vector<float>{1, -2, 3}));
  EXPECT_TRUE(file->tensors().empty());
}

TEST(GgufWriter, TensorsRoundTripWithLlamaCppLayout) {
  std::vector<float> values(2 * 256);
  for (size_t k = 0; k < values.size(); ++k) values[k] = static_cast<float>(k % 17) - 8.0f;
  const std::vector<float> small = {1.0f, 2.0f, 3.0f};
  GgufWriter writer;
  writer.add_uint32("general.alignment", 64);
  writer.add_tensor("f32.odd", DType::F32, {3}, std::as_bytes(std::span(small)));
  writer.add_tensor("f16.matrix", DType::F16, {2, 256}, encode(DType::F16, values));
  writer.add_tensor("q8.matrix", DType::Q8_0, {4, 128}, encode(DType::Q8_0, values));
  writer.add_tensor("q4_0.cube", DType::Q4_0, {2, 2, 128}, encode(DType::Q4_0, values));
  std::vector<std::byte> k_quant(2 * 144, std::byte{0x11});
  writer.add_tensor("q4_k.matrix", DType::Q4_K, {2, 256}, k_quant);
  const std::vector<std::byte> bytes = writer.to_bytes();
  auto file = GgufFile::parse(bytes.data(), bytes.size(), "memory");
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->alignment(), 64u);
  ASSERT_EQ(file->tensors().size(), 5u);

  // Offsets are cumulative and padded: llama.cpp rejects any other layout.
  uint64_t expected_offset = 0;
  for (const GgufTensorInfo& tensor : file->tensors()) {
    EXPECT_EQ(tensor.offset, expected_offset) << tensor.name;
    expected_offset += (tensor.view.nbytes + 63) / 64 * 64;
  }
  const std::byte* data_start = file->tensors()[0].view.data;
  EXPECT_EQ(static_cast<size_t>(data_start - bytes.data()) % 64, 0u);
  EXPECT_EQ(static_cast<size_t>(data_start - bytes.data()) + expected_offset, bytes.size());

  const GgufTensorInfo* odd = file->find_tensor("f32.odd");
  ASSERT_NE(odd, nullptr);
  EXPECT_EQ(odd->view.rank, 1);
  EXPECT_EQ(odd->view.nbytes, 12u);
  EXPECT_EQ(std::memcmp(odd->view.data, small.data(), 12), 0);

  const GgufTensorInfo* cube = file->find_tensor("q4_0.cube");
  ASSERT_NE(cube, nullptr);
  EXPECT_EQ(cube->ggml_type, 2u);
  EXPECT_EQ(cube->view.describe(), "[2, 2, 128] q4_0");
  EXPECT_EQ(std::memcmp(cube->view.data, encode(DType::Q4_0, values).data(), cube->view.nbytes), 0);

  const GgufTensorInfo* q8 = file->find_tensor("q8.matrix");
  std::vector<float> row(128);
  dequantize_row(DType::Q8_0, q8->view.row(3), row.data(), 128);
  for (int k = 0; k < 128; ++k) EXPECT_NEAR(row[k], values[3 * 128 + k], 8.0 / 127);  // half a step of d = 8/127, plus f16 rounding
  EXPECT_EQ(file->find_tensor("q4_k.matrix")->view.nbytes, 288u);
  EXPECT_EQ(file->find_tensor("missing"), nullptr);
}

TEST(GgufWriter, WritesAFileThatOpens) {
  GgufWriter writer;
  writer.add_string("general.architecture", "qwen2");
  const std::vector<float> one = {42.0f};
  writer.add_tensor("scalar", DType::F32, {}, std::as_bytes(std::span(one)));
  const auto path = std::filesystem::temp_directory_path() / "keel_gguf_writer_test.gguf";
  ASSERT_TRUE(writer.write(path).ok());
  auto file = GgufFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->tensors()[0].view.rank, 0);
  EXPECT_EQ(file->tensors()[0].view.numel(), 1);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace keel
