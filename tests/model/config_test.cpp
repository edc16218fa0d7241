// Parsing config.json (transformers 4.x and 5.x forms) and the registry.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/arch_registry.h"
#include "model/config_hf.h"
#include "model/rope_frequencies.h"

namespace keel {
namespace {

using nlohmann::json;

json llama31_v4() {
  return json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 96,
    "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 128,
    "max_position_embeddings": 131072, "rms_norm_eps": 1e-5, "tie_word_embeddings": false,
    "rope_theta": 500000.0,
    "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 8192},
    "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009]})");
}

json llama31_v5() {
  json j = llama31_v4();
  j.erase("rope_theta");
  j.erase("rope_scaling");
  j["rope_parameters"] = json::parse(R"({"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
      "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192})");
  return j;
}

TEST(HfConfigTest, TransformersV4AndV5FormsAgree) {
  auto v4 = config_from_hf_json(llama31_v4(), nullptr);
  auto v5 = config_from_hf_json(llama31_v5(), nullptr);
  ASSERT_TRUE(v4.ok()) << v4.error().message;
  ASSERT_TRUE(v5.ok()) << v5.error().message;
  EXPECT_EQ(*v4, *v5);
  EXPECT_EQ(v4->family, Family::kLlama);
  EXPECT_EQ(v4->rope_theta, 500000.0);
  ASSERT_TRUE(v4->llama3_scaling.has_value());
  EXPECT_EQ(v4->llama3_scaling->factor, 8.0);
  EXPECT_EQ(v4->head_dim, 16);
  EXPECT_EQ(v4->rotary_dims, 16);
  EXPECT_EQ(v4->rope_style, RopeStyle::kNeox);
  EXPECT_EQ(v4->bos_id, 128000);
  EXPECT_EQ(v4->eos_ids, (std::vector<int32_t>{128001, 128008, 128009}));
}

TEST(HfConfigTest, GlmPartialRotaryInBothForms) {
  json v4 = json::parse(R"({"architectures": ["GlmForCausalLM"], "hidden_size": 64, "intermediate_size": 96,
    "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
    "vocab_size": 128, "partial_rotary_factor": 0.5, "rope_theta": 10000, "eos_token_id": null})");
  json v5 = v4;
  v5.erase("partial_rotary_factor");
  v5.erase("rope_theta");
  v5["rope_parameters"] = json::parse(R"({"rope_type": "default", "rope_theta": 10000, "partial_rotary_factor": 0.5})");
  auto a = config_from_hf_json(v4, nullptr);
  auto b = config_from_hf_json(v5, nullptr);
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->rotary_dims, 8);
  EXPECT_EQ(a->rope_style, RopeStyle::kInterleaved);
  EXPECT_TRUE(a->qkv_bias);  // GLM attention_bias defaults to true
  EXPECT_FALSE(a->o_bias);
  EXPECT_TRUE(a->fused_gate_up);
  EXPECT_TRUE(a->eos_ids.empty());
}

TEST(HfConfigTest, EosIdsAsNumberListAndGenerationConfig) {
  json config = llama31_v4();
  config["eos_token_id"] = 2;
  const json generation = json::parse(R"({"eos_token_id": [2, 7]})");
  auto parsed = config_from_hf_json(config, &generation);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->eos_ids, (std::vector<int32_t>{2, 7}));
}

TEST(HfConfigTest, Qwen2BiasIsHardWired) {
  json config = llama31_v4();
  config["architectures"] = {"Qwen2ForCausalLM"};
  auto parsed = config_from_hf_json(config, nullptr);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_TRUE(parsed->qkv_bias);
  EXPECT_FALSE(parsed->o_bias);
}

TEST(HfConfigTest, UnknownArchitectureListsSupported) {
  json config = llama31_v4();
  config["architectures"] = {"MistralForCausalLM"};
  auto parsed = config_from_hf_json(config, nullptr);
  ASSERT_FALSE(parsed.ok());
  const std::string& message = parsed.error().message;
  EXPECT_NE(message.find("MistralForCausalLM"), std::string::npos) << message;
  for (const char* name : {"LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM", "GlmForCausalLM",
                           "Glm4ForCausalLM"})
    EXPECT_NE(message.find(name), std::string::npos) << message;
}

TEST(HfConfigTest, UnknownGgufArchitectureListsSupported) {
  auto found = find_arch_by_gguf_name("gemma3");
  ASSERT_FALSE(found.ok());
  for (const char* name : {"llama", "qwen2", "qwen3", "chatglm", "glm4"})
    EXPECT_NE(found.error().message.find(name), std::string::npos) << found.error().message;
}

TEST(HfConfigTest, BadValuesAreErrorsNotCrashes) {
  json config = llama31_v4();
  config["hidden_size"] = "big";
  EXPECT_FALSE(config_from_hf_json(config, nullptr).ok());
  config = llama31_v4();
  config["num_key_value_heads"] = 3;  // 4 heads do not split into 3 groups
  EXPECT_FALSE(config_from_hf_json(config, nullptr).ok());
  config = llama31_v4();
  config["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  EXPECT_FALSE(config_from_hf_json(config, nullptr).ok());
}

// llama3 scaling: high frequencies unchanged, low ones divided by factor.
TEST(RopeFrequenciesTest, Llama3ScalingBands) {
  auto config = config_from_hf_json(llama31_v4(), nullptr);
  ASSERT_TRUE(config.ok());
  ModelConfig plain = *config;
  plain.llama3_scaling.reset();
  const std::vector<float> scaled = rope_inverse_frequencies(*config, {});
  const std::vector<float> base = rope_inverse_frequencies(plain, {});
  EXPECT_FLOAT_EQ(scaled.front(), base.front());         // wavelength 2π < 2048
  EXPECT_FLOAT_EQ(scaled.back(), base.back() / 8.0f);    // wavelength far above 8192
}

}  // namespace
}  // namespace keel
