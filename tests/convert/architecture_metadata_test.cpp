// Unit checks of the GGUF metadata helpers against values llama.cpp wrote.
#include <gtest/gtest.h>

#include "convert/architecture_metadata.h"
#include "convert/hf_tensor_names.h"

namespace keel {
namespace {

TEST(SizeLabel, RoundsLikeGgufPy) {
  EXPECT_EQ(size_label(163392), "163K");  // tests/golden glm4
  EXPECT_EQ(size_label(11121792), "11M");
  EXPECT_EQ(size_label(520000), "520K");
  EXPECT_EQ(size_label(1500000), "1.5M");
  EXPECT_EQ(size_label(7241732096), "7.2B");
}

TEST(FileType, MatchesLlamaFtype) {
  EXPECT_EQ(gguf_file_type(DType::F32), 0u);
  EXPECT_EQ(gguf_file_type(DType::F16), 1u);
  EXPECT_EQ(gguf_file_type(DType::Q4_0), 2u);
  EXPECT_EQ(gguf_file_type(DType::Q8_0), 7u);
}

TEST(TensorNames, Glm4SandwichNormsAndFusedGateUp) {
  EXPECT_EQ(gguf_tensor_name(Family::kGlm4, "model.layers.3.post_self_attn_layernorm.weight"),
            "blk.3.post_attention_norm.weight");
  EXPECT_EQ(gguf_tensor_name(Family::kGlm4, "model.layers.3.post_attention_layernorm.weight"),
            "blk.3.ffn_norm.weight");
  EXPECT_EQ(gguf_tensor_name(Family::kGlm4, "model.layers.12.mlp.gate_up_proj.weight"), "blk.12.ffn_up.weight");
  EXPECT_EQ(gguf_tensor_name(Family::kGlm4, "lm_head.weight"), "output.weight");
  EXPECT_EQ(gguf_tensor_name(Family::kGlm4, "model.layers.x.mlp.down_proj.weight"), std::nullopt);
  EXPECT_EQ(gguf_tensor_name(Family::kGlm4, "model.rotary_emb.inv_freq"), std::nullopt);
}

}  // namespace
}  // namespace keel
