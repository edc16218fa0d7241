// SafetensorsFile and SafetensorsCheckpoint: valid files, then each kind of
// damage the reference parser refuses, then hostile checkpoint indexes.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "byte_builder.h"
#include "format/safetensors.h"

namespace keel {
namespace {

using testing::safetensors_image;

const char* const kValidHeader =
    R"({"__metadata__":{"format":"pt"},)"
    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
    R"("a":{"dtype":"BF16","shape":[2,2],"data_offsets":[8,16]},)"
    R"("pos":{"dtype":"I64","shape":[1],"data_offsets":[16,24]}})";

void expect_error(const std::vector<std::byte>& bytes, const std::string& substring) {
  auto file = SafetensorsFile::parse(bytes.data(), bytes.size(), "bad.safetensors");
  ASSERT_FALSE(file.ok()) << "expected an error containing: " << substring;
  EXPECT_NE(file.error().message.find(substring), std::string::npos) << file.error().message;
  EXPECT_EQ(file.error().message.rfind("bad.safetensors: ", 0), 0u) << file.error().message;
}

std::string one_tensor(const std::string& fields) { return R"({"t":{)" + fields + "}}"; }

TEST(Safetensors, ReadsTensorsMetadataAndUnsupported) {
  const auto bytes = safetensors_image(kValidHeader, 24);
  auto file = SafetensorsFile::parse(bytes.data(), bytes.size(), "memory");
  ASSERT_TRUE(file.ok()) << file.error().message;
  ASSERT_EQ(file->tensors().size(), 2u);
  const TensorView& a = file->tensors().at("a");
  EXPECT_EQ(a.describe(), "[2, 2] bf16");
  EXPECT_EQ(a.data, bytes.data() + 8 + std::strlen(kValidHeader) + 8);
  EXPECT_EQ(a.nbytes, 8u);
  EXPECT_EQ(file->tensors().at("b").dtype, DType::F32);
  EXPECT_EQ(file->metadata().at("format"), "pt");
  ASSERT_EQ(file->unsupported().count("pos"), 1u);
  EXPECT_NE(file->unsupported().at("pos").find("I64"), std::string::npos);
}

TEST(Safetensors, AcceptsSpacePaddingScalarsAndEmptyFiles) {
  const std::string padded = std::string(R"({"s":{"dtype":"F16","shape":[],"data_offsets":[0,2]}})") + "    ";
  const auto bytes = safetensors_image(padded, 2);
  auto file = SafetensorsFile::parse(bytes.data(), bytes.size(), "memory");
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->tensors().at("s").rank, 0);
  const auto empty = safetensors_image("{}", 0);
  EXPECT_TRUE(SafetensorsFile::parse(empty.data(), empty.size(), "memory").ok());
}

TEST(Safetensors, RejectsBadHeaders) {
  expect_error(std::vector<std::byte>(5), "too short");
  auto too_long = safetensors_image("{}", 0);
  too_long[0] = std::byte{200};
  expect_error(too_long, "larger than the file");
  auto huge = safetensors_image("{}", 0);
  huge[4] = std::byte{1};  // 2^32 + 2 bytes
  expect_error(huge, "exceeds the 100 MB limit");
  expect_error(safetensors_image("{\"t\":", 0), "not valid JSON");
  expect_error(safetensors_image("[1,2]", 0), "not a JSON object");
  expect_error(safetensors_image("{\"__metadata__\":{\"k\":1}}", 0), "__metadata__ value of 'k'");
  expect_error(safetensors_image(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8),
               "duplicate key 't'");
}

TEST(Safetensors, RejectsBadTensors) {
  expect_error(safetensors_image(one_tensor(R"("dtype":"F12","shape":[1],"data_offsets":[0,4])"), 4), "unknown dtype \"F12\"");
  expect_error(safetensors_image(one_tensor(R"("dtype":"F32","shape":[-1],"data_offsets":[0,4])"), 4), "non-negative");
  expect_error(safetensors_image(one_tensor(R"("dtype":"F32","shape":[1.5],"data_offsets":[0,4])"), 4), "non-negative");
  expect_error(safetensors_image(one_tensor(R"("dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4])"), 4),
               "too many elements");
  expect_error(safetensors_image(one_tensor(R"("dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,4])"), 4),
               "byte size overflows");
  expect_error(safetensors_image(one_tensor(R"("dtype":"F32","shape":[2],"data_offsets":[0,4])"), 4), "needs 8");
  expect_error(safetensors_image(one_tensor(R"("dtype":"F32","shape":[1],"data_offsets":[4,0])"), 4), "before begin");
  expect_error(safetensors_image(one_tensor(R"("dtype":"F32","shape":[1])"), 4), "data_offsets");
  expect_error(safetensors_image(one_tensor(R"("shape":[1],"data_offsets":[0,4])"), 4), "dtype");
  expect_error(safetensors_image(one_tensor(R"("dtype":"F32","shape":[1],"data_offsets":[0,4])"), 8),
               "file size does not match");
  expect_error(safetensors_image(one_tensor(R"("dtype":"F32","shape":[1],"data_offsets":[4,8])"), 8), "hole");
  expect_error(safetensors_image(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                 R"("y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8), "overlaps");
}

TEST(Safetensors, EveryTruncationAndBitFlipIsHandled) {
  const auto bytes = safetensors_image(kValidHeader, 24);
  for (size_t length = 0; length < bytes.size(); ++length)
    EXPECT_FALSE(SafetensorsFile::parse(bytes.data(), length, "memory").ok()) << length;
  for (size_t at = 0; at < bytes.size(); ++at) {
    for (int bit = 0; bit < 8; ++bit) {
      auto flipped = bytes;
      flipped[at] ^= static_cast<std::byte>(1u << bit);
      auto file = SafetensorsFile::parse(flipped.data(), flipped.size(), "memory");
      if (!file.ok()) continue;
      for (const auto& [name, view] : file->tensors()) EXPECT_LE(view.data + view.nbytes, flipped.data() + flipped.size());
    }
  }
}

// ---- checkpoints ---------------------------------------------------------

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("keel_safetensors_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::vector<std::byte>& bytes) {
    std::ofstream(dir_ / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                       static_cast<std::streamsize>(bytes.size()));
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  void write_two_shards() {
    write("s1.safetensors", safetensors_image(one_tensor(R"("dtype":"F32","shape":[1],"data_offsets":[0,4])"), 4));
    write("s2.safetensors", safetensors_image(R"({"u":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
                                              R"("ids":{"dtype":"I64","shape":[1],"data_offsets":[4,12]}})", 12));
  }
  std::string open_error() {
    auto checkpoint = SafetensorsCheckpoint::open_dir(dir_);
    return checkpoint.ok() ? "(opened)" : checkpoint.error().message;
  }

  std::filesystem::path dir_;
};

TEST_F(CheckpointTest, SingleFile) {
  write("model.safetensors", safetensors_image(kValidHeader, 24));
  auto checkpoint = SafetensorsCheckpoint::open_dir(dir_);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
  EXPECT_EQ(checkpoint->names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_NE(checkpoint->find("a"), nullptr);
  EXPECT_EQ(checkpoint->find("pos"), nullptr);
  auto pos = checkpoint->require("pos");
  ASSERT_FALSE(pos.ok());
  EXPECT_NE(pos.error().message.find("dtype I64 is not supported"), std::string::npos) << pos.error().message;
  EXPECT_NE(checkpoint->require("nope").error().message.find("'nope' is not in the checkpoint"), std::string::npos);
}

TEST_F(CheckpointTest, ShardedIndex) {
  write_two_shards();
  write("model.safetensors.index.json",
        R"({"metadata":{"total_size":16},"weight_map":{"t":"s1.safetensors","u":"s2.safetensors","ids":"s2.safetensors"}})");
  auto checkpoint = SafetensorsCheckpoint::open_dir(dir_);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
  EXPECT_EQ(checkpoint->names(), (std::vector<std::string>{"t", "u"}));
  EXPECT_EQ(checkpoint->find("u")->dtype, DType::F16);
}

TEST_F(CheckpointTest, RejectsHostileIndexes) {
  write_two_shards();
  write("model.safetensors.index.json", R"({"weight_map":{"t":"../s1.safetensors"}})");
  EXPECT_NE(open_error().find("not a plain file name"), std::string::npos) << open_error();
  write("model.safetensors.index.json", R"({"weight_map":{"t":"sub/s1.safetensors"}})");
  EXPECT_NE(open_error().find("not a plain file name"), std::string::npos) << open_error();
  write("model.safetensors.index.json", R"({"weight_map":{"t":".."}})");
  EXPECT_NE(open_error().find("not a plain file name"), std::string::npos) << open_error();
  write("model.safetensors.index.json", R"({"weight_map":{"t":"missing.safetensors"}})");
  EXPECT_NE(open_error().find("missing.safetensors, which does not exist"), std::string::npos) << open_error();
  write("model.safetensors.index.json", R"({"weight_map":{"u":"s1.safetensors"}})");
  EXPECT_NE(open_error().find("lists tensor 'u' in shard s1.safetensors, which does not contain it"),
            std::string::npos) << open_error();
  write("model.safetensors.index.json", R"({"weight_map":[]})");
  EXPECT_NE(open_error().find("weight_map"), std::string::npos) << open_error();
  write("model.safetensors.index.json", "{not json");
  EXPECT_NE(open_error().find("not valid JSON"), std::string::npos) << open_error();
}

TEST_F(CheckpointTest, RejectsTensorInTwoShards) {
  write("s1.safetensors", safetensors_image(one_tensor(R"("dtype":"F32","shape":[1],"data_offsets":[0,4])"), 4));
  write("s3.safetensors", safetensors_image(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                            R"("x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8));
  write("model.safetensors.index.json", R"({"weight_map":{"t":"s1.safetensors","x":"s3.safetensors"}})");
  EXPECT_NE(open_error().find("tensor 't' also appears in another shard"), std::string::npos) << open_error();
}

TEST_F(CheckpointTest, EmptyDirectory) {
  EXPECT_NE(open_error().find("neither model.safetensors nor"), std::string::npos) << open_error();
}

}  // namespace
}  // namespace keel
