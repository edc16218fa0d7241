// Weights: presence and shape validation with readable errors.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "model/tensor_names.h"
#include "model/weights.h"

namespace keel {
namespace {

ModelConfig tiny_qwen2() {
  ModelConfig c;
  c.family = Family::kQwen2;
  c.architecture = "Qwen2ForCausalLM";
  c.format = SourceFormat::kHuggingFace;
  c.hidden = 8;
  c.layers = 1;
  c.heads = 2;
  c.kv_heads = 1;
  c.head_dim = 4;
  c.rotary_dims = 4;
  c.ffn = 12;
  c.vocab = 10;
  c.context_length = 32;
  c.qkv_bias = true;
  return c;
}

// Float32 tensors of the given shapes, all backed by one zeroed buffer.
class FakeCheckpoint {
 public:
  void add(const std::string& name, std::vector<int64_t> shape) {
    TensorView view;
    view.rank = static_cast<int>(shape.size());
    for (int i = 0; i < view.rank; ++i) view.shape[i] = shape[i];
    view.data = zeros_.data();
    view.nbytes = static_cast<size_t>(view.numel()) * sizeof(float);
    tensors_[name] = view;
  }
  void remove(const std::string& name) { tensors_.erase(name); }
  TensorLookup lookup() const {
    return [this](std::string_view name) -> const TensorView* {
      auto it = tensors_.find(std::string(name));
      return it == tensors_.end() ? nullptr : &it->second;
    };
  }

 private:
  std::vector<std::byte> zeros_ = std::vector<std::byte>(4096);
  std::map<std::string, TensorView> tensors_;
};

FakeCheckpoint complete_qwen2() {
  FakeCheckpoint ckpt;
  ckpt.add("model.embed_tokens.weight", {10, 8});
  ckpt.add("model.norm.weight", {8});
  ckpt.add("lm_head.weight", {10, 8});
  const std::string p = "model.layers.0.";
  ckpt.add(p + "input_layernorm.weight", {8});
  ckpt.add(p + "self_attn.q_proj.weight", {8, 8});
  ckpt.add(p + "self_attn.k_proj.weight", {4, 8});
  ckpt.add(p + "self_attn.v_proj.weight", {4, 8});
  ckpt.add(p + "self_attn.q_proj.bias", {8});
  ckpt.add(p + "self_attn.k_proj.bias", {4});
  ckpt.add(p + "self_attn.v_proj.bias", {4});
  ckpt.add(p + "self_attn.o_proj.weight", {8, 8});
  ckpt.add(p + "post_attention_layernorm.weight", {8});
  ckpt.add(p + "mlp.gate_proj.weight", {12, 8});
  ckpt.add(p + "mlp.up_proj.weight", {12, 8});
  ckpt.add(p + "mlp.down_proj.weight", {8, 12});
  return ckpt;
}

TEST(WeightsTest, CompleteCheckpointLoads) {
  FakeCheckpoint ckpt = complete_qwen2();
  auto weights = Weights::load(ckpt.lookup(), tiny_qwen2());
  ASSERT_TRUE(weights.ok()) << weights.error().message;
  EXPECT_EQ(weights->layers.size(), 1u);
  EXPECT_NE(weights->layers[0].q_bias, nullptr);
  EXPECT_EQ(weights->layers[0].o_bias, nullptr);
}

TEST(WeightsTest, WrongShapeNamesTensorExpectedAndFound) {
  FakeCheckpoint ckpt = complete_qwen2();
  ckpt.add("model.layers.0.self_attn.k_proj.weight", {8, 8});
  auto weights = Weights::load(ckpt.lookup(), tiny_qwen2());
  ASSERT_FALSE(weights.ok());
  const std::string& message = weights.error().message;
  EXPECT_NE(message.find("model.layers.0.self_attn.k_proj.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("expected shape [4, 8]"), std::string::npos) << message;
  EXPECT_NE(message.find("found [8, 8]"), std::string::npos) << message;
}

TEST(WeightsTest, MissingTensorIsNamed) {
  FakeCheckpoint ckpt = complete_qwen2();
  ckpt.remove("model.layers.0.self_attn.v_proj.bias");
  auto weights = Weights::load(ckpt.lookup(), tiny_qwen2());
  ASSERT_FALSE(weights.ok());
  EXPECT_NE(weights.error().message.find("missing tensor 'model.layers.0.self_attn.v_proj.bias'"), std::string::npos)
      << weights.error().message;
}

TEST(WeightsTest, TiedEmbeddingsNeedNoLmHead) {
  FakeCheckpoint ckpt = complete_qwen2();
  ckpt.remove("lm_head.weight");
  ModelConfig config = tiny_qwen2();
  EXPECT_FALSE(Weights::load(ckpt.lookup(), config).ok());
  config.tie_embeddings = true;
  auto weights = Weights::load(ckpt.lookup(), config);
  ASSERT_TRUE(weights.ok()) << weights.error().message;
  EXPECT_EQ(weights->output.data, weights->token_embedding.data);
}

TEST(WeightsTest, FusedGgufQkvAndGateUpBecomeRowViews) {
  ModelConfig config = tiny_qwen2();
  config.family = Family::kGlm;
  config.format = SourceFormat::kGguf;
  config.fused_gate_up = true;
  FakeCheckpoint ckpt;
  ckpt.add("token_embd.weight", {10, 8});
  ckpt.add("output_norm.weight", {8});
  ckpt.add("output.weight", {10, 8});
  ckpt.add("blk.0.attn_norm.weight", {8});
  ckpt.add("blk.0.attn_qkv.weight", {16, 8});
  ckpt.add("blk.0.attn_qkv.bias", {16});
  ckpt.add("blk.0.attn_output.weight", {8, 8});
  ckpt.add("blk.0.ffn_norm.weight", {8});
  ckpt.add("blk.0.ffn_up.weight", {24, 8});
  ckpt.add("blk.0.ffn_down.weight", {8, 12});
  auto weights = Weights::load(ckpt.lookup(), config);
  ASSERT_TRUE(weights.ok()) << weights.error().message;
  const LayerWeights& layer = weights->layers[0];
  EXPECT_EQ(layer.q.shape[0], 8);
  EXPECT_EQ(layer.k.data, layer.q.data + 8 * 8 * sizeof(float));
  EXPECT_EQ(layer.v.data, layer.q.data + 12 * 8 * sizeof(float));
  EXPECT_EQ(layer.v_bias, layer.q_bias + 12);
  EXPECT_EQ(layer.up.data, layer.gate.data + 12 * 8 * sizeof(float));
  EXPECT_EQ(layer.gate.shape[0], 12);
}

}  // namespace
}  // namespace keel
