// GgufFile::parse on damaged and hostile inputs: each must give an Error
// that names the problem, never a crash, hang or outsized allocation.
#include <gtest/gtest.h>

#include <string>

#include "byte_builder.h"
#include "format/gguf.h"
#include "format/gguf_writer.h"

namespace keel {
namespace {

using testing::ByteBuilder;

constexpr uint32_t kF32 = 0, kQ8_0 = 8;

// Parses and reads every field, as a real consumer would.
bool parse_and_touch(const std::vector<std::byte>& bytes) {
  auto file = GgufFile::parse(bytes.data(), bytes.size(), "memory");
  if (!file.ok()) return false;
  size_t sum = 0;
  for (const auto& [key, value] : file->metadata()) sum += key.size() + value.str.size() + value.strings.size();
  for (const GgufTensorInfo& tensor : file->tensors())
    if (tensor.view.nbytes > 0) sum += static_cast<size_t>(tensor.view.data[tensor.view.nbytes - 1]);
  return sum != static_cast<size_t>(-1);
}

void expect_error(const ByteBuilder& builder, const std::string& substring) {
  auto file = GgufFile::parse(builder.bytes().data(), builder.size(), "bad.gguf");
  ASSERT_FALSE(file.ok()) << "expected an error containing: " << substring;
  EXPECT_NE(file.error().message.find(substring), std::string::npos) << file.error().message;
  EXPECT_EQ(file.error().message.rfind("bad.gguf: ", 0), 0u) << file.error().message;
  EXPECT_NE(file.error().message.find("byte offset"), std::string::npos) << file.error().message;
}

// A header with one tensor of 16 f32 values at `offset`, then its data.
ByteBuilder one_tensor(uint32_t type, std::vector<int64_t> ne, uint64_t offset, size_t data_bytes = 64) {
  ByteBuilder b;
  b.gguf_header(1, 0).str("t").u32(static_cast<uint32_t>(ne.size()));
  for (int64_t dim : ne) b.i64(dim);
  b.u32(type).u64(offset).pad_to(32).zeros(data_bytes);
  return b;
}

std::vector<std::byte> small_valid_file() {
  GgufWriter writer;
  writer.add_string("general.architecture", "llama");
  writer.add_uint32("llama.block_count", 2);
  writer.add_string_array("tokenizer.ggml.tokens", {"a", "b"});
  writer.add_float32_array("tokenizer.ggml.scores", {0.0f, 1.0f});
  const std::vector<float> values(32, 1.0f);
  writer.add_tensor("w", DType::F32, {2, 4}, std::as_bytes(std::span(values)).first(32));
  writer.add_tensor("v", DType::F16, {4}, std::as_bytes(std::span(values)).first(8));
  return writer.to_bytes();
}

TEST(GgufBadInput, EveryTruncationFails) {
  const std::vector<std::byte> bytes = small_valid_file();
  ASSERT_TRUE(parse_and_touch(bytes));
  auto file = GgufFile::parse(bytes.data(), bytes.size(), "memory");
  const GgufTensorInfo& last = file->tensors().back();
  // Only the zero padding after the last blob may be cut off.
  const size_t data_end = static_cast<size_t>(last.view.data - bytes.data()) + last.view.nbytes;
  for (size_t length = 0; length < data_end; ++length) {
    std::vector<std::byte> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
    EXPECT_FALSE(parse_and_touch(prefix)) << "prefix of " << length << " bytes";
  }
}

TEST(GgufBadInput, EveryBitFlipIsHandled) {
  const std::vector<std::byte> bytes = small_valid_file();
  for (size_t at = 0; at < bytes.size(); ++at) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<std::byte> flipped = bytes;
      flipped[at] ^= static_cast<std::byte>(1u << bit);
      (void)parse_and_touch(flipped);  // ok or Error; a crash fails the test binary
    }
  }
}

TEST(GgufBadInput, HeaderProblems) {
  expect_error(ByteBuilder().raw("GGU"), "too short");
  expect_error(ByteBuilder().raw("GGML").u32(3).i64(0).i64(0), "bad magic");
  expect_error(ByteBuilder().gguf_header(0, 0, 1), "unsupported GGUF version 1");
  expect_error(ByteBuilder().gguf_header(0, 0, 4), "unsupported GGUF version 4");
  expect_error(ByteBuilder().gguf_header(0, 0, 0x03000000), "big-endian");
  expect_error(ByteBuilder().gguf_header(-1, 0), "negative tensor count");
  expect_error(ByteBuilder().gguf_header(1ll << 62, 0), "tensor count 4611686018427387904 is larger");
  expect_error(ByteBuilder().gguf_header(0, 1ll << 62), "metadata count 4611686018427387904 is larger");
}

TEST(GgufBadInput, MetadataProblems) {
  expect_error(ByteBuilder().gguf_header(0, 1).u64(1ull << 63).zeros(16), "metadata key length 9223372036854775808 runs past");
  expect_error(ByteBuilder().gguf_header(0, 1).str("k").u32(8).u64(1ull << 63), "string value of key 'k' runs past");
  expect_error(ByteBuilder().gguf_header(0, 1).str("k").u32(9).u32(4).u64(1ull << 61), "array count");
  expect_error(ByteBuilder().gguf_header(0, 1).str("k").u32(9).u32(8).u64(1ull << 61), "array count");
  expect_error(ByteBuilder().gguf_header(0, 1).str("k").u32(9).u32(9).u64(1), "nested arrays");
  expect_error(ByteBuilder().gguf_header(0, 1).str("k").u32(9).u32(77).u64(1), "unknown array element type 77");
  expect_error(ByteBuilder().gguf_header(0, 1).str("k").u32(13).u32(0), "unknown value type 13");
  expect_error(ByteBuilder().gguf_header(0, 1).str("\xff\xfekey").u32(4).u32(0), "not valid UTF-8");
  expect_error(ByteBuilder().gguf_header(0, 1).str("").u32(4).u32(0), "empty metadata key");
  expect_error(ByteBuilder().gguf_header(0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2), "duplicate metadata key 'k'");
  expect_error(ByteBuilder().gguf_header(0, 1).str("k").u32(10).zeros(4), "file ends inside the value of key 'k'");
  expect_error(ByteBuilder().gguf_header(0, 1).str("general.alignment").u32(4).u32(0), "not a non-zero power of two");
  expect_error(ByteBuilder().gguf_header(0, 1).str("general.alignment").u32(4).u32(3), "not a non-zero power of two");
  expect_error(ByteBuilder().gguf_header(0, 1).str("general.alignment").u32(0).put<uint8_t>(32), "must be a u32");
}

TEST(GgufBadInput, TensorProblems) {
  ASSERT_TRUE(parse_and_touch(one_tensor(kF32, {16}, 0).bytes()));
  expect_error(one_tensor(kF32, {16}, 1024), "runs past the end of the file");
  expect_error(one_tensor(kF32, {16}, 4), "not a multiple of the alignment 32");
  expect_error(one_tensor(99, {16}, 0), "tensor 't' has ggml type 99");
  expect_error(one_tensor(kF32, {1, 1, 1, 1, 16}, 0), "5 dimensions");
  expect_error(one_tensor(kF32, {-16}, 0), "ne[0] = -16");
  expect_error(one_tensor(kF32, {0}, 0), "dimensions must be at least 1");
  expect_error(one_tensor(kQ8_0, {16}, 0), "not a multiple of the q8_0 block size 32");
  expect_error(one_tensor(kF32, {1ll << 40, 1ll << 40}, 0), "element count overflows");
  expect_error(one_tensor(kF32, {1ll << 62}, 0), "byte size overflows");

  ByteBuilder long_name;
  long_name.gguf_header(1, 0).str(std::string(64, 'n')).u32(1).i64(16).u32(kF32).u64(0).pad_to(32).zeros(64);
  expect_error(long_name, "the limit is 63");

  auto two_tensors = [](const char* second_name, uint64_t second_offset) {
    ByteBuilder b;
    b.gguf_header(2, 0).str("a").u32(1).i64(16).u32(kF32).u64(0);
    b.str(second_name).u32(1).i64(16).u32(kF32).u64(second_offset).pad_to(32).zeros(128);
    return b;
  };
  ASSERT_TRUE(parse_and_touch(two_tensors("b", 64).bytes()));
  expect_error(two_tensors("b", 32), "tensor 'b' overlaps tensor 'a'");
  expect_error(two_tensors("a", 64), "duplicate tensor name 'a'");
}

TEST(GgufBadInput, VocabOnlyFileNeedsNoDataSection) {
  ByteBuilder b;
  b.gguf_header(0, 1).str("general.architecture").u32(8).str("gpt2");
  EXPECT_TRUE(parse_and_touch(b.bytes()));
}

}  // namespace
}  // namespace keel
