// keel convert against llama.cpp's converter, on the golden fixtures
// (tests/golden/<family>/hf, converted by llama.cpp into model-<type>.gguf).
//
// For glm4, qwen2 and qwen3 and the types f32, f16 and q8_0, the file keel
// writes must have llama.cpp's metadata (every key, value and value type),
// tensor list (names, order, types, shapes) and tensor bytes, byte for byte. keel's logits on the converted
// file must match transformers' logits on that type's weights
// (logits-<type>.f32) within the golden tolerances. `keel quantize` of the
// f32 file must equal the direct conversion.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "convert/hf_to_gguf.h"
#include "convert/requantize.h"
#include "gguf_compare.h"
#include "model/model.h"
#include "../model/forward_helpers.h"

namespace keel::testing {
namespace {

const std::filesystem::path kGolden = std::filesystem::path(KEEL_SOURCE_DIR) / "tests" / "golden";

struct ConvertCase {
  std::string family;
  std::string type;  // "f32", "f16", "q8_0"
};

void PrintTo(const ConvertCase& c, std::ostream* out) { *out << c.family << " " << c.type; }

std::filesystem::path scratch(const std::string& file) {
  const auto dir = std::filesystem::path(KEEL_BINARY_DIR) / "convert_test_outputs";
  std::filesystem::create_directories(dir);
  return dir / file;
}

std::vector<float> read_floats(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<float> out(std::filesystem::file_size(path) / sizeof(float));
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size() * sizeof(float)));
  return out;
}

// On the exact kernels: the logits are held to transformers' within the
// golden tolerances.
std::vector<float> prompt_logits(const std::filesystem::path& model_path, const std::vector<int32_t>& prompt) {
  LoadOptions exact;
  exact.exact_kernels = true;
  auto model = load_model(model_path, exact);
  if (!model.ok()) {
    ADD_FAILURE() << model.error().message;
    return {};
  }
  const size_t n = prompt.size();
  auto cache = make_test_runner(**model, 1, static_cast<int32_t>(n));
  std::vector<float> logits = prefill_all_logits(**model, *cache, prompt);
  EXPECT_EQ(logits.size(), n * static_cast<size_t>((*model)->config().vocab)) << "the forward step failed";
  return logits;
}

class ConvertGoldenTest : public ::testing::TestWithParam<ConvertCase> {};

TEST_P(ConvertGoldenTest, MatchesLlamaCppConverter) {
  const ConvertCase& c = GetParam();
  const std::filesystem::path dir = kGolden / c.family;
  const std::filesystem::path reference_file = dir / ("model-" + c.type + ".gguf");
  if (!std::filesystem::exists(dir / "hf") || !std::filesystem::exists(reference_file))
    GTEST_SKIP() << "fixture " << reference_file << " not present";

  const auto out = scratch(c.family + "-" + c.type + ".gguf");
  ConvertOptions options{dir / "hf", out, *dtype_from_name(c.type), "keel-tiny-" + c.family};
  auto summary = convert_hf_to_gguf(options);
  ASSERT_TRUE(summary.ok()) << summary.error().message;

  auto mine = GgufFile::open(out);
  ASSERT_TRUE(mine.ok()) << mine.error().message;
  auto reference = GgufFile::open(reference_file);
  ASSERT_TRUE(reference.ok()) << reference.error().message;
  for (const auto& difference : metadata_differences(*mine, *reference)) ADD_FAILURE() << "metadata " << difference;
  for (const auto& difference : tensor_list_differences(*mine, *reference)) ADD_FAILURE() << "tensor " << difference;

  const int different_bytes = count_tensors_with_different_bytes(*mine, *reference);
  const double max_difference = max_tensor_difference(*mine, *reference);
  std::printf("[convert %s %s] %d of %zu tensors differ in bytes, max |weight difference| %.3g\n",
              c.family.c_str(), c.type.c_str(), different_bytes, reference->tensors().size(), max_difference);
  EXPECT_EQ(different_bytes, 0);  // keel's F16 and Q8_0 encoders round exactly as gguf-py's do
  EXPECT_EQ(max_difference, 0.0);

  const nlohmann::json info = nlohmann::json::parse(std::ifstream(dir / "reference.json"));
  const auto prompt = info["prompt_ids"].get<std::vector<int32_t>>();
  const std::vector<float> expected = read_floats(dir / (c.type == "f32" ? "logits.f32" : "logits-" + c.type + ".f32"));
  const std::vector<float> actual = prompt_logits(out, prompt);
  ASSERT_EQ(actual.size(), expected.size());
  const double error = testing::max_relative_row_error(actual, expected, static_cast<int64_t>(expected.size() / prompt.size()));
  std::printf("[convert %s %s] keel logits vs transformers: max relative error %.3g\n", c.family.c_str(),
              c.type.c_str(), error);
  EXPECT_LT(error, c.type == "f32" ? 1e-4 : 1e-3);
}

std::vector<ConvertCase> all_cases() {
  std::vector<ConvertCase> cases;
  for (const std::string family : {"glm4", "qwen2", "qwen3"})
    for (const std::string type : {"f32", "f16", "q8_0"}) cases.push_back({family, type});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ConvertGoldenTest, ::testing::ValuesIn(all_cases()),
                         [](const auto& test_info) { return test_info.param.family + "_" + test_info.param.type; });

TEST(Requantize, F32FileToQ8_0EqualsDirectConversion) {
  const std::filesystem::path dir = kGolden / "glm4";
  if (!std::filesystem::exists(dir / "model-f32.gguf")) GTEST_SKIP() << "glm4 fixture not present";
  const auto direct = scratch("glm4-direct-q8_0.gguf"), requantized = scratch("glm4-requantized-q8_0.gguf");
  ASSERT_TRUE(convert_hf_to_gguf({dir / "hf", direct, DType::Q8_0, "keel-tiny-glm4"}).ok());
  auto bytes = requantize_gguf(dir / "model-f32.gguf", requantized, DType::Q8_0);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  auto a = GgufFile::open(direct);
  auto b = GgufFile::open(requantized);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(metadata_differences(*b, *a).empty());
  EXPECT_TRUE(tensor_list_differences(*b, *a).empty());
  EXPECT_EQ(count_tensors_with_different_bytes(*b, *a), 0);
}

TEST(Convert, RefusesUnsupportedFamilyWithMessage) {
  const std::filesystem::path dir = kGolden / "llama" / "hf";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "llama fixture not present";
  auto result = convert_hf_to_gguf({dir, scratch("llama.gguf"), DType::F16, ""});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("glm4"), std::string::npos) << result.error().message;
}

}  // namespace
}  // namespace keel::testing
